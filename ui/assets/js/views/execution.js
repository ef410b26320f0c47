// One execution: its fields, why it ended (crash cause, halt reason), findings, parent and nested
// children, the conversation its events tell, the event timeline (type, duration, tokens,
// estimated cost, payload on demand) and, while it runs, a Halt button and live updates.
import { api, ApiError } from '../api.js';
import {
  ago, classBadge, duration, empty, enc, executionLink, groupLink, h, int, nameLink, notice, replace, s, statusBadge,
  table, time, usd,
} from '../dom.js';
import { causeCard, childList, conversation, haltNote, identityRows } from './execution_story.js';

const EVENTS_PAGE = 1000;
const POLL_MS = 3000;

// The server's price lookup over its price table (docs/detection.md#price-table), for display only:
// the exact key, else the longest key that is a prefix of the model, exact-only rows left out.
function priceOf(prices, model) {
  if (typeof model !== 'string') return null;
  const m = model.toLowerCase();
  let best = null;
  for (const p of prices) {
    if (m === p.key) return p;
    if (p.exact_only === true) continue;
    if (m.startsWith(p.key) && (!best || p.key.length > best.key.length)) best = p;
  }
  return best;
}

function eventTokens(ev) {
  const p = ev.payload;
  if (!p || typeof p !== 'object') return null;
  const i = Number.isInteger(p.input_tokens) ? p.input_tokens : null;
  const o = Number.isInteger(p.output_tokens) ? p.output_tokens : null;
  return i === null && o === null ? null : { in: i || 0, out: o || 0 };
}

function eventCost(ev, prices) {
  if (ev.event_type !== 'llm_call') return null;
  const p = ev.payload || {};
  if (typeof p.cost_usd === 'number') return p.cost_usd;
  const tokens = eventTokens(ev);
  const price = priceOf(prices, p.model);
  if (!tokens || !price) return null;
  // The cached and reasoning parts at their provider's rates (docs/protocol.md#cached-and-reasoning-tokens).
  const part = (v, total) => (Number.isInteger(v) ? Math.min(Math.max(v, 0), total) : 0);
  const cached = part(p.cached_input_tokens, tokens.in);
  const reasoning = part(p.reasoning_tokens, tokens.out);
  const rate = (r, fallback) => (typeof r === 'number' ? r : fallback);
  return ((tokens.in - cached) / 1e6) * price.input_usd_per_mtok + ((tokens.out - reasoning) / 1e6) * price.output_usd_per_mtok
    + (cached / 1e6) * rate(price.cached_input_usd_per_mtok, price.input_usd_per_mtok)
    + (reasoning / 1e6) * rate(price.reasoning_usd_per_mtok, price.output_usd_per_mtok);
}

function eventLabel(ev) {
  const p = ev.payload && typeof ev.payload === 'object' ? ev.payload : {};
  const failed = p.status === 'failed' || p.passed === false;
  const name = p.model || p.tool_name || p.name || p.exception_type || '';
  return [
    h('span', { class: ['badge', 'type-' + ev.event_type, failed ? 'type-failed' : null] }, ev.event_type),
    name ? h('span', { class: 'mono' }, ' ', String(name)) : null,
    failed ? h('span', { class: 'muted' }, ' failed') : null,
  ];
}

// A waterfall cell: where the event sits in the execution's span, and how long it took.
function waterfall(ev, startMs, spanMs) {
  const W = 160;
  const t = new Date(ev.timestamp).getTime() - startMs;
  const x = Math.max(0, Math.min(W, (t / spanMs) * W));
  const w = ev.duration_ms ? Math.max(1.5, Math.min(W - x, (ev.duration_ms / spanMs) * W)) : 0;
  const failed = ev.payload && (ev.payload.status === 'failed' || ev.payload.passed === false);
  return s('svg', { class: 'wf-svg', width: W, height: 10, viewBox: `0 0 ${W} 10`, 'aria-hidden': 'true' },
    s('rect', { class: 'wf-track', x: 0, y: 3, width: W, height: 4, rx: 2 }),
    w > 0 ? s('rect', { class: ['wf-bar', failed ? 'failed' : null], x: x.toFixed(2), y: 1, width: w.toFixed(2), height: 8, rx: 2 })
      : s('rect', { class: 'wf-tick', x: Math.max(0, x - 0.75).toFixed(2), y: 1, width: 1.5, height: 8 }));
}

function payloadCell(ev) {
  const d = h('details', { class: 'payload' }, h('summary', {}, 'payload'));
  // Rendered on first open: a long timeline stays light until someone looks.
  d.addEventListener('toggle', () => {
    if (d.open && d.children.length === 1) d.append(h('pre', {}, JSON.stringify(ev.payload, null, 2)));
  });
  return d;
}

function timelineRows(events, startMs, spanMs, prices) {
  return events.map((ev) => {
    const tokens = eventTokens(ev);
    const cost = eventCost(ev, prices);
    const offset = new Date(ev.timestamp).getTime() - startMs;
    return h('tr', { 'data-seq': ev.sequence },
      h('td', { class: 'num' }, String(ev.sequence)),
      h('td', { class: 'num', title: ev.timestamp }, Number.isFinite(offset) ? '+' + duration(Math.max(0, offset)) : '—'),
      h('td', { class: 'nowrap' }, eventLabel(ev)),
      h('td', { class: 'num' }, duration(ev.duration_ms)),
      h('td', { class: 'num' }, tokens ? `${int(tokens.in)} / ${int(tokens.out)}` : '—'),
      h('td', { class: 'num' }, cost === null ? '—' : usd(cost)),
      h('td', { class: 'wf' }, waterfall(ev, startMs, spanMs)),
      h('td', {}, payloadCell(ev)));
  });
}

function details(x) {
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  return h('dl', { class: 'kv' },
    row('Name', x.name ? nameLink(x.name) : '—'),
    row('Status', statusBadge(x.status)),
    row('Started', time(x.started_at)),
    row('Ended', time(x.ended_at)),
    row('Duration', duration(x.duration_ms)),
    row('Tokens in / out', x.total_tokens_in || x.total_tokens_out ? `${int(x.total_tokens_in || 0)} / ${int(x.total_tokens_out || 0)}` : '—'),
    row('Estimated cost', usd(x.estimated_cost_usd)),
    row('SDK', x.sdk_language ? `${x.sdk_language} ${x.sdk_version || ''}` : '—'),
    row('Parent', x.parent_execution_id ? executionLink(x.parent_execution_id) : '—'),
    row('Failure group', x.failure_group_id ? groupLink(x.failure_group_id) : '—'),
    x.crash_signature ? row('Crash signature', h('code', {}, x.crash_signature)) : null,
    x.halt_reason ? row('Halt reason', x.halt_reason) : null,
    identityRows(x, row),
    x.input_summary ? row('Input', x.input_summary) : null,
    x.output_summary ? row('Output', x.output_summary) : null);
}

function findingsTable(findings) {
  if (!findings.length) return empty('No findings: no detector flagged this execution.');
  return table([
    { title: 'Class', cell: (f) => classBadge(f.failure_class) },
    { title: 'Detector', cell: (f) => f.detector },
    { title: 'Signature', cell: (f) => groupLink(f.group_id, f.signature) },
    { title: 'Detected', cls: 'nowrap', cell: (f) => ago(f.detected_at) },
    { title: 'Pass', cell: (f) => f.source },
  ], findings);
}

export async function render(ctx) {
  const id = ctx.params[0];
  ctx.setTitle(id);
  let detail;
  try {
    detail = await ctx.get('/executions/' + enc(id));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(ctx.root, h('h1', { class: 'mono' }, id), notice('warn', 'No execution with this id in your project (yet). ', h('a', { href: '/ui/executions' }, 'All executions')));
      return;
    }
    throw e;
  }
  const children = await ctx.get('/executions', { parent_execution_id: id, limit: 50 });

  const head = h('div', { class: 'page-head' });
  const infoBox = h('div');
  const findingsBox = h('div', { id: 'findings' });
  const tbody = h('tbody');
  const moreBox = h('div');
  const haltBox = h('div', { id: 'halt-status' });
  const whyBox = h('div');
  const causeBox = h('div');
  const talkBox = h('div');
  const liveNote = h('span', { class: 'live-note' });
  let shown = [];
  let halted = false;

  const startMs = () => new Date(detail.execution.started_at).getTime();
  const spanMs = () => {
    let end = detail.execution.ended_at ? new Date(detail.execution.ended_at).getTime() : 0;
    for (const ev of shown) end = Math.max(end, new Date(ev.timestamp).getTime() + (ev.duration_ms || 0));
    return Math.max(1, end - startMs());
  };
  const drawTimeline = () => {
    replace(tbody, timelineRows(shown, startMs(), spanMs(), ctx.config.prices));
    replace(talkBox, conversation(shown, children.executions));
  };

  const haltButton = h('button', { type: 'button', class: 'danger', id: 'halt-button' }, 'Halt');
  haltButton.addEventListener('click', async () => {
    haltButton.disabled = true;
    try {
      const r = await api('POST', `/executions/${enc(id)}/halt`, { body: { reason: 'halted from the Vigil dashboard' } });
      halted = true;
      replace(haltBox, notice('ok', r.notified > 0
        ? `Halt sent: ${r.notified} SDK halt stream${r.notified === 1 ? '' : 's'} notified. The agent stops at its next SDK call.`
        : 'Halt stored: the SDK receives it as soon as it opens its halt stream.'));
    } catch (e) {
      haltButton.disabled = false;
      replace(haltBox, notice('error', 'Halt failed: ' + e.message));
    }
  });

  const drawHead = () => {
    const x = detail.execution;
    const running = x.status === 'started';
    haltButton.hidden = !running;
    haltButton.disabled = halted;
    replace(head,
      h('div', {},
        h('h1', { class: 'mono' }, x.execution_id),
        h('div', { class: 'sub' }, x.name ? [nameLink(x.name), ' · '] : null, statusBadge(x.status), ' ',
          running ? [h('span', { class: 'pulse' }), 'running · ', liveNote] : null)),
      h('div', { class: 'row' }, haltButton));
    replace(infoBox, details(x));
    replace(whyBox, haltNote(x));
    replace(causeBox, causeCard(x));
    replace(findingsBox, findingsTable(detail.findings));
  };

  const drawMore = () => {
    const total = detail.events_total;
    if (shown.length >= total) return replace(moreBox, total ? null : empty('No events recorded.'));
    const b = h('button', { type: 'button', id: 'load-more' }, `Load ${Math.min(EVENTS_PAGE, total - shown.length)} more`);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const page = await ctx.get(`/executions/${enc(id)}/events`, { offset: shown.length, limit: EVENTS_PAGE });
        shown = shown.concat(page.events);
        detail.events_total = page.total;
        drawTimeline();
        drawMore();
      } catch (e) {
        b.disabled = false;
        if (e.name !== 'AbortError') replace(moreBox, notice('error', e.message));
      }
    });
    replace(moreBox, h('div', { class: 'row' }, h('span', { class: 'muted' }, `Showing ${int(shown.length)} of ${int(total)} events.`), b));
  };

  shown = detail.events;
  drawHead();
  drawTimeline();
  drawMore();

  replace(ctx.root,
    head,
    haltBox,
    whyBox,
    causeBox,
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'Details'), infoBox),
      h('div', { class: 'stack' },
        h('section', { class: 'card' }, h('h2', {}, 'Findings'), findingsBox),
        h('section', { class: 'card', id: 'children' }, h('h2', {}, 'Child executions'),
          childList(ctx, id, children)))),
    h('section', { class: 'card', id: 'conversation' }, h('h2', {}, 'Conversation'), talkBox),
    h('section', { class: 'card', id: 'timeline' },
      h('h2', {}, 'Timeline'),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'timeline' },
          h('thead', {}, h('tr', {}, ['#', 'At', 'Event', 'Duration', 'Tokens in / out', 'Est. cost', 'Waterfall', ''].map((t, i) => h('th', { class: i === 0 || (i > 0 && i < 6 && i !== 2) ? 'num' : null }, t)))),
          tbody)),
      moreBox));

  // Live while it runs: new events, findings and the final status appear without a reload.
  if (detail.execution.status === 'started') {
    ctx.every(POLL_MS, async () => {
      const fresh = await ctx.get('/executions/' + enc(id));
      const grew = fresh.events.length > Math.min(shown.length, EVENTS_PAGE);
      const statusChanged = fresh.execution.status !== detail.execution.status;
      detail = { ...fresh, events_total: fresh.events_total };
      if (shown.length <= EVENTS_PAGE) shown = fresh.events;
      if (grew || statusChanged) drawTimeline();
      drawHead();
      drawMore();
      liveNote.textContent = 'updated ' + new Date().toLocaleTimeString();
      return fresh.execution.status === 'started';
    });
  }
}
