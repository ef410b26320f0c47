// Failure groups: one row per (class, signature) with how many executions hold it, when it was
// first and last seen and the cost of those executions; most recently seen first.
import { ago, classBadge, empty, groupLink, h, int, pager, replace, table, time, usd } from '../dom.js';

const LIMIT = 50;

export async function render(ctx) {
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  const page = await ctx.get('/failure-groups', { limit: LIMIT, offset });
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Failure groups'), h('div', { class: 'sub' }, 'The same failure pattern across executions, most recently seen first'))),
    h('section', { class: 'card', id: 'groups-list' },
      page.failure_groups.length ? table([
        { title: 'Class', cell: (g) => classBadge(g.failure_class) },
        { title: 'Signature', cls: 'ellipsis', cell: (g) => groupLink(g.group_id, g.signature) },
        { title: 'Executions', num: true, cell: (g) => int(g.affected_executions) },
        { title: 'First seen', cls: 'nowrap', cell: (g) => time(g.first_seen) },
        { title: 'Last seen', cls: 'nowrap', cell: (g) => ago(g.last_seen) },
        { title: 'Cost wasted', num: true, cell: (g) => usd(g.cost_wasted_usd || 0) },
      ], page.failure_groups) : empty(offset ? 'No more failure groups.' : 'No failure groups: no detector has fired in this project yet.'),
      pager({ offset, limit: LIMIT, count: page.count, go: (o) => ctx.navigate('/ui/failure-groups' + (o ? '?offset=' + o : '')) })));
}
