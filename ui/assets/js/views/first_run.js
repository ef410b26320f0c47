// "Send your first execution": shown on the overview of a project with no executions yet. One
// snippet per way in (Python SDK, TypeScript SDK, curl), each runnable from a clone of the
// repository as written, pointed at this server. The key stays a placeholder: the page never
// prints a secret.
import { h } from '../dom.js';

function pythonSnippet(origin) {
  return `export VIGIL_BASE_URL=${origin} VIGIL_API_KEY='paste your API key here'
PYTHONPATH=sdk/python python3 - <<'EOF'
import vigil
vigil.configure()

@vigil.wrap
def agent(question):
    vigil.emit_llm_call("gpt-4o", user_message=question, input_tokens=12, output_tokens=3)
    return "done"

agent("Where is my invoice?")
vigil.flush()
EOF`;
}

function typescriptSnippet(origin) {
  return `export VIGIL_BASE_URL=${origin} VIGIL_API_KEY='paste your API key here'
cd sdk/typescript && npm ci && npm run build
node --input-type=module -e '
import { configure, wrap, emitLlmCall, flush } from "vigil-sdk";
configure();
const agent = wrap(async function agent(question) {
  emitLlmCall({ model: "gpt-4o", userMessage: question, inputTokens: 12, outputTokens: 3 });
  return "done";
});
await agent("Where is my invoice?");
await flush();'`;
}

function curlSnippet(origin) {
  return `KEY='paste your API key here'
H=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')
curl -s -X POST ${origin}/executions "\${H[@]}" -d '{"execution_id":"first-1","sdk_language":"curl"}'
curl -s -X POST ${origin}/events "\${H[@]}" -d '[{"event_id":"first-1-1","execution_id":"first-1",
  "event_type":"llm_call","sequence":1,"payload":{"model":"gpt-4o","input_tokens":12,"output_tokens":3}}]'
curl -s -X PATCH ${origin}/executions/first-1 "\${H[@]}" -d '{"status":"completed"}'`;
}

export function firstRunCard(origin) {
  const snippet = (title, id, text) => h('div', { class: 'snippet' },
    h('h3', {}, title), h('pre', { id }, text));
  return h('section', { class: 'card', id: 'first-execution' },
    h('h2', {}, 'Send your first execution'),
    h('p', {}, 'No executions yet. Run one of these from a clone of the repository, with the API key you signed in with; this page fills in as data arrives.'),
    snippet('Python', 'first-python', pythonSnippet(origin)),
    snippet('TypeScript', 'first-typescript', typescriptSnippet(origin)),
    snippet('curl', 'first-curl', curlSnippet(origin)));
}
