// What an execution page reads like besides its timeline: why it ended (the crash cause, the halt
// reason), what built it, the conversation its events tell (prompts, responses, tool arguments and
// results, validator verdicts, in order), and its child executions nested under it. Every value
// an agent sent goes in as text (dom.js), never as HTML or Markdown.
import { duration, empty, enc, executionLink, h, nameLink, replace, statusBadge } from '../dom.js';

const CHILDREN_PAGE = 50;

// The crash cause (execution.exception, docs/api.md#execution-detail): type, message, frames with
// the innermost last, as the SDK sent them.
export function causeCard(x) {
  const cause = x.exception;
  if (!cause) return null;
  const frames = Array.isArray(cause.frames) ? cause.frames : [];
  return h('section', { class: 'card cause', id: 'exception' },
    h('h2', {}, 'Exception'),
    h('div', { class: 'cause-head' }, h('code', { class: 'cause-type' }, cause.type), cause.message ? ': ' : null),
    cause.message ? h('pre', { class: 'text-block cause-message' }, cause.message) : null,
    frames.length
      ? h('ol', { class: 'frames mono', title: 'innermost frame last' }, frames.map((f) =>
        h('li', {}, f.function ? h('strong', {}, f.function) : '?', ' ',
          h('span', { class: 'muted' }, [f.file || '?', f.line ? ':' + f.line : ''].join('')))))
      : h('p', { class: 'muted' }, 'No stack frames were sent.'));
}

// The halt's reason in words (execution.halt_reason); while the run is going it is a pending halt.
export function haltNote(x) {
  if (!x.halt_reason) return null;
  const pending = x.status === 'started';
  return h('div', { class: ['notice', pending ? 'warn' : 'info'], id: 'halt-reason' },
    h('strong', {}, pending ? 'Halt requested: ' : 'Halted: '), x.halt_reason,
    x.crash_signature && x.crash_signature.startsWith('halt:') ? h('span', { class: 'muted' }, ` (${x.crash_signature})`) : null);
}

// Rows of the details list for the build identity.
export function identityRows(x, row) {
  return [
    x.code_version ? row('Code version', h('code', { id: 'code-version' }, x.code_version)) : null,
    x.container_digest ? row('Container', h('code', { id: 'container-digest', class: 'digest' }, x.container_digest)) : null,
  ];
}

const asText = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const textBlock = (label, v, cls) => (v === undefined || v === null || v === ''
  ? null
  : h('div', { class: ['turn-part', cls] }, h('div', { class: 'turn-label' }, label), h('pre', { class: 'text-block' }, asText(v))));

function llmTurn(p) {
  const failed = p.status === 'failed';
  return [
    p.system_prompt ? h('details', { class: 'turn-part system' }, h('summary', {}, 'System prompt'), h('pre', { class: 'text-block' }, p.system_prompt)) : null,
    textBlock('Prompt', p.user_message, 'prompt'),
    failed ? textBlock('Failed', [p.exception_type, p.exception_message].filter(Boolean).join(': '), 'failed')
      : textBlock('Response', p.response_text, 'response'),
  ];
}

function toolTurn(p) {
  const failed = p.status === 'failed';
  return [
    textBlock('Arguments', p.arguments, 'args'),
    failed ? textBlock('Failed', [p.exception_type, p.exception_message].filter(Boolean).join(': '), 'failed')
      : textBlock('Result', p.result_text !== undefined ? p.result_text : p.result_summary, 'result'),
  ];
}

function validatorTurn(p) {
  const verdict = p.passed === false || p.passed === 0 ? 'failed' : 'passed';
  return h('div', { class: ['turn-part', verdict === 'failed' ? 'failed' : null] },
    h('span', { class: ['badge', verdict === 'failed' ? 'type-failed' : 'ok'] }, verdict),
    p.severity ? h('span', { class: 'muted' }, ' ' + p.severity) : null,
    p.message ? h('pre', { class: 'text-block' }, asText(p.message)) : null);
}

function turnBody(ev, p) {
  switch (ev.event_type) {
    case 'llm_call': return llmTurn(p);
    case 'tool_call': return toolTurn(p);
    case 'validator_result': return validatorTurn(p);
    case 'exception': return textBlock(p.exception_type || 'exception', p.exception_message, 'failed');
    case 'checkpoint': return p.metadata && Object.keys(p.metadata).length ? textBlock('Metadata', p.metadata) : null;
    default: return textBlock('Payload', ev.payload);
  }
}

function turnTitle(ev, p) {
  const what = { llm_call: p.model, tool_call: p.tool_name, validator_result: p.name, checkpoint: p.name }[ev.event_type];
  return h('div', { class: 'turn-head' },
    h('span', { class: ['badge', 'type-' + ev.event_type] }, ev.event_type),
    what ? h('span', { class: 'mono' }, ' ' + String(what)) : null,
    ev.duration_ms ? h('span', { class: 'muted' }, ' · ' + duration(ev.duration_ms)) : null,
    h('span', { class: 'muted turn-seq' }, '#' + ev.sequence));
}

// A child execution where it started in its parent's conversation.
function childTurn(c) {
  return h('li', { class: ['turn', 'turn-child'] },
    h('div', { class: 'turn-head' },
      h('span', { class: 'badge' }, 'child execution'), ' ', executionLink(c.execution_id), ' ',
      c.name ? [nameLink(c.name), ' '] : null, statusBadge(c.status),
      c.duration_ms ? h('span', { class: 'muted' }, ' · ' + duration(c.duration_ms)) : null));
}

// The events as a conversation, in sequence order, with each child execution placed before the
// first event at or after its start.
export function conversation(events, children = []) {
  if (!events.length && !children.length) return empty('No events recorded.');
  const pending = children.slice().sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  const items = [];
  for (const ev of events) {
    const at = Date.parse(ev.timestamp);
    while (pending.length && Date.parse(pending[0].started_at) <= at) items.push(childTurn(pending.shift()));
    const p = ev.payload && typeof ev.payload === 'object' && !Array.isArray(ev.payload) ? ev.payload : {};
    items.push(h('li', { class: ['turn', 'turn-' + ev.event_type], 'data-seq': ev.sequence }, turnTitle(ev, p), turnBody(ev, p)));
  }
  return h('ol', { class: 'conversation' }, items, pending.map(childTurn));
}

// One child execution, with its own children fetched when opened: the tree nests as deep as it goes.
function childItem(ctx, c) {
  const nested = h('div', { class: 'nested' });
  const d = h('details', { class: 'child' },
    h('summary', {}, executionLink(c.execution_id), ' ', c.name ? [nameLink(c.name), ' '] : null, statusBadge(c.status)),
    nested);
  d.addEventListener('toggle', async () => {
    if (!d.open || nested.dataset.loaded) return;
    nested.dataset.loaded = '1';
    try {
      const page = await ctx.get('/executions', { parent_execution_id: c.execution_id, limit: CHILDREN_PAGE });
      replace(nested, childList(ctx, c.execution_id, page));
    } catch (e) {
      if (e.name !== 'AbortError') replace(nested, h('span', { class: 'muted' }, e.message));
    }
  });
  return h('li', {}, d);
}

// The children of `parentId` (a page of GET /executions?parent_execution_id=).
export function childList(ctx, parentId, page) {
  if (!page.executions.length) return empty('No child executions.');
  return [
    h('ul', { class: 'children-tree' }, page.executions.map((c) => childItem(ctx, c))),
    page.count === CHILDREN_PAGE ? h('a', { href: '/ui/executions?parent_execution_id=' + enc(parentId) }, 'All children') : null,
  ];
}
