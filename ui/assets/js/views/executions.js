// Executions: newest first, filtered by status, agent name, start time, failure group or parent, paged;
// the page refreshes itself while it shows running executions (or the newest page).
import {
  duration, empty, executionLink, fromLocalInput, groupLink, h, int, nameLink, pager, replace, statusBadge, table,
  time, toLocalInput, usd,
} from '../dom.js';
import { query } from '../api.js';

const STATUSES = ['started', 'completed', 'crashed', 'halted', 'timeout', 'validation_failed'];
const LIMIT = 50;

export function executionsTable(list) {
  return table([
    { title: 'Execution', cell: (x) => executionLink(x.execution_id) },
    { title: 'Name', cell: (x) => (x.name ? nameLink(x.name) : '—') },
    { title: 'Status', cell: (x) => statusBadge(x.status) },
    { title: 'Started', cls: 'nowrap', cell: (x) => time(x.started_at) },
    { title: 'Duration', num: true, cell: (x) => duration(x.duration_ms) },
    { title: 'Tokens in / out', num: true, cell: (x) => (x.total_tokens_in || x.total_tokens_out ? `${int(x.total_tokens_in || 0)} / ${int(x.total_tokens_out || 0)}` : '—') },
    { title: 'Cost', num: true, cell: (x) => usd(x.estimated_cost_usd) },
    { title: 'SDK', cell: (x) => x.sdk_language || '—' },
    { title: 'Failure group', cell: (x) => (x.failure_group_id ? groupLink(x.failure_group_id) : '—') },
  ], list, { rowClass: (x) => (x.status === 'started' ? 'live' : null) });
}

export async function render(ctx) {
  const q = ctx.query;
  const filter = {
    status: STATUSES.includes(q.get('status')) ? q.get('status') : '',
    name: q.get('name') || '',
    started_after: q.get('started_after') || '',
    started_before: q.get('started_before') || '',
    failure_group_id: q.get('failure_group_id') || '',
    parent_execution_id: q.get('parent_execution_id') || '',
  };
  const offset = Math.max(0, parseInt(q.get('offset') || '0', 10) || 0);
  const go = (f, off) => ctx.navigate('/ui/executions' + query({ ...f, offset: off || '' }));

  const status = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((st) => h('option', { value: st, selected: st === filter.status }, st === 'started' ? 'running (started)' : st)));
  const name = h('input', { id: 'filter-name', type: 'search', value: filter.name, placeholder: 'any agent', maxlength: 200 });
  const after = h('input', { id: 'filter-after', type: 'datetime-local', value: toLocalInput(filter.started_after) });
  const before = h('input', { id: 'filter-before', type: 'datetime-local', value: toLocalInput(filter.started_before) });
  const form = h('form', { class: 'filters', id: 'filters' },
    h('label', {}, 'Status', status),
    h('label', {}, 'Name', name),
    h('label', {}, 'Started after', after),
    h('label', {}, 'Started before', before),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('a', { href: '/ui/executions' }, 'Clear filters'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({ ...filter, status: status.value, name: name.value.trim(), started_after: fromLocalInput(after.value), started_before: fromLocalInput(before.value) }, 0);
  });

  const params = { ...filter, limit: LIMIT, offset };
  const page = await ctx.get('/executions', params);
  const listBox = h('div', { id: 'executions-list' });
  const liveNote = h('span', { class: 'live-note' });
  const fill = (p) => replace(listBox,
    p.executions.length ? executionsTable(p.executions) : empty(offset > 0 ? 'No more executions.' : 'No executions match.'),
    pager({ offset, limit: LIMIT, count: p.count, go: (o) => go(filter, o) }));
  fill(page);

  const scope = [];
  if (filter.name) scope.push(h('span', {}, 'named ', h('strong', {}, filter.name)));
  if (filter.failure_group_id) scope.push(h('span', {}, 'in failure group ', groupLink(filter.failure_group_id)));
  if (filter.parent_execution_id) scope.push(h('span', {}, 'children of ', executionLink(filter.parent_execution_id)));

  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Executions'), h('div', { class: 'sub' }, scope.length ? scope : 'Newest first')),
      liveNote),
    h('section', { class: 'card' }, form),
    h('section', { class: 'card' }, listBox));

  // Live while something on this page runs, or on the first page where new runs appear.
  const wantsLive = (p) => offset === 0 || p.executions.some((x) => x.status === 'started');
  if (wantsLive(page)) {
    ctx.every(5000, async () => {
      const p = await ctx.get('/executions', params);
      fill(p);
      liveNote.textContent = 'live · updated ' + new Date().toLocaleTimeString();
      return wantsLive(p);
    });
  }
}
