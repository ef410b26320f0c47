// OpenAI adapter: every chat.completions.create inside a wrapped run records an llm_call with
// model, prompts, response text and tokens. Needs `npm install openai` and OPENAI_API_KEY;
// vigil-sdk itself does not depend on the client.
//
//   node dist-test/examples/openai.js
import { wrap } from "vigil-sdk";
import { instrumentOpenAI } from "vigil-sdk/openai";

const moduleName = "openai"; // a variable, so this example compiles without the client
type Completion = { choices: Array<{ message: { content: string | null } }> };
let OpenAI: new () => { chat: { completions: { create: (p: object) => Promise<Completion> } } };
try {
  OpenAI = (await import(moduleName)).default;
} catch {
  console.log("install openai to run this example");
  process.exit(0);
}

const client = instrumentOpenAI(new OpenAI());

const translate = wrap(
  async (text: string) => {
    const res = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Translate to French. Reply with the translation only." },
        { role: "user", content: text },
      ],
    });
    return res.choices[0]?.message.content ?? "";
  },
  { name: "translate" },
);

console.log(await translate("The agent finished its task."));
