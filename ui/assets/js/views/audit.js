// Audit log (docs/api.md#audit-log): who did what with the project's keys, newest first, paged and filtered.
// Servers without GET /audit-log get a plain message instead of an error. Rows of action `request`
// (one per API call, the dashboard's own polling included) are hidden unless asked for.
import { ApiError, query } from '../api.js';
import { empty, fromLocalInput, h, notice, pager, replace, table, time, toLocalInput } from '../dom.js';

const LIMIT = 50;

function unavailable(ctx) {
  replace(ctx.root, h('h1', {}, 'Audit log'), notice('info', 'The audit log is not available on this server: it has no GET /audit-log route.'));
}

export async function render(ctx) {
  if (!ctx.config.features.audit_log) return unavailable(ctx);
  const q = ctx.query;
  const filter = {
    action: q.get('action') || '', since: q.get('since') || '', until: q.get('until') || '', requests: q.get('requests') || '',
  };
  // An explicit action filter shows that action, requests included.
  const hideRequests = !filter.action && filter.requests !== '1';
  const offset = Math.max(0, parseInt(q.get('offset') || '0', 10) || 0);
  const go = (f, o) => ctx.navigate('/ui/audit-log' + query({ ...f, offset: o || '' }));
  let page;
  try {
    const params = { action: filter.action, since: filter.since, until: filter.until, limit: LIMIT, offset };
    if (hideRequests) params.exclude_action = 'request';
    page = await ctx.get('/audit-log', params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return unavailable(ctx);
    throw e;
  }
  const action = h('input', { id: 'audit-action', value: filter.action, placeholder: 'e.g. api_key.create' });
  const since = h('input', { type: 'datetime-local', value: toLocalInput(filter.since) });
  const until = h('input', { type: 'datetime-local', value: toLocalInput(filter.until) });
  const requests = h('input', { type: 'checkbox', id: 'audit-requests', checked: filter.requests === '1' });
  const form = h('form', { class: 'filters' },
    h('label', {}, 'Action', action), h('label', {}, 'Since', since), h('label', {}, 'Until', until),
    h('label', { class: 'check' }, requests, 'Show API requests'),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('a', { href: '/ui/audit-log' }, 'Clear filters'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go({
      action: action.value.trim(), since: fromLocalInput(since.value), until: fromLocalInput(until.value),
      requests: requests.checked ? '1' : '',
    }, 0);
  });
  const entries = page.entries || [];
  replace(ctx.root,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Audit log'), h('div', { class: 'sub' }, 'Requests and changes made with this project’s keys, newest first' +
      (hideRequests ? ' (API requests hidden)' : '')))),
    h('section', { class: 'card' }, form),
    h('section', { class: 'card', id: 'audit-list' },
      entries.length ? table([
        { title: 'Time', cls: 'nowrap', cell: (e) => time(e.time) },
        { title: 'Action', cell: (e) => h('span', { class: 'mono' }, e.action) },
        { title: 'Actor', cell: (e) => e.actor + (e.key_id ? ` (${e.key_id})` : '') },
        { title: 'Request', cls: 'ellipsis', cell: (e) => (e.method ? `${e.method} ${e.path || ''}` : '—') },
        { title: 'Status', num: true, cell: (e) => (e.status ? String(e.status) : '—') },
        { title: 'Client IP', cell: (e) => e.client_ip || '—' },
        { title: 'Detail', cls: 'ellipsis', cell: (e) => (e.detail ? h('code', {}, JSON.stringify(e.detail)) : '') },
      ], entries) : empty(offset ? 'No more entries.' : 'No audit entries match.'),
      pager({ offset, limit: LIMIT, count: page.count ?? entries.length, go: (o) => go(filter, o) })));
}
