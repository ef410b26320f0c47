// Failure groups: one row per (class, signature) with its lifecycle state, how many executions
// hold it, when it was first and last seen and the cost of those executions; most recently seen
// first. Open groups unless the state filter asks for others, as the API lists them.
import { query } from '../api.js';
import { ago, classBadge, empty, groupLink, groupStateBadge, h, int, pager, replace, table, time, usd } from '../dom.js';

const LIMIT = 50;
const STATES = ['open', 'resolved', 'muted', 'all'];

const EMPTY = {
  open: 'No open failure groups: nothing needs attention.',
  resolved: 'No resolved failure groups.',
  muted: 'No muted failure groups.',
  all: 'No failure groups: no detector has fired in this project yet.',
};

export async function render(ctx) {
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  const state = STATES.includes(ctx.query.get('state')) ? ctx.query.get('state') : 'open';
  const go = (st, off) => ctx.navigate('/ui/failure-groups' + query({ state: st === 'open' ? '' : st, offset: off || '' }));
  const page = await ctx.get('/failure-groups', { state, limit: LIMIT, offset });
  const select = h('select', { id: 'filter-state', name: 'state' },
    STATES.map((st) => h('option', { value: st, selected: st === state }, st === 'all' ? 'every state' : st)));
  select.addEventListener('change', () => go(select.value, 0));
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Failure groups'), h('div', { class: 'sub' }, 'The same failure pattern across executions, most recently seen first')),
      h('form', { class: 'filters', id: 'group-filters', onsubmit: (ev) => ev.preventDefault() }, h('label', {}, 'State', select))),
    h('section', { class: 'card', id: 'groups-list' },
      page.failure_groups.length ? table([
        { title: 'Class', cell: (g) => classBadge(g.failure_class) },
        { title: 'Signature', cls: 'ellipsis', cell: (g) => groupLink(g.group_id, g.signature) },
        { title: 'State', cell: (g) => groupStateBadge(g.state) },
        { title: 'Executions', num: true, cell: (g) => int(g.affected_executions) },
        { title: 'First seen', cls: 'nowrap', cell: (g) => time(g.first_seen) },
        { title: 'Last seen', cls: 'nowrap', cell: (g) => ago(g.last_seen) },
        { title: 'Cost wasted', num: true, cell: (g) => usd(g.cost_wasted_usd || 0) },
      ], page.failure_groups) : empty(offset ? 'No more failure groups.' : EMPTY[state]),
      pager({ offset, limit: LIMIT, count: page.count, go: (o) => go(state, o) })));
}
