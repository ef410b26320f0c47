// Overview: the project's numbers, executions and failures over time, cost per bucket, what is
// running now and the latest failures.
import { barChart } from '../chart.js';
import {
  ago, classBadge, duration, empty, executionLink, groupLink, h, int, replace, statusBadge, table, usd,
} from '../dom.js';
import { firstRunCard } from './first_run.js';

const RANGES = {
  '24h': { label: '24 hours', bucket: 'hour', ms: 24 * 3600e3 },
  '7d': { label: '7 days', bucket: 'day', ms: 7 * 86400e3 },
  '30d': { label: '30 days', bucket: 'day', ms: 30 * 86400e3 },
};

// Short dollar amounts for axis labels ($0, $0.05, $62.5, $250).
function axisUsd(v) {
  if (v === 0) return '$0';
  if (v >= 10) return '$' + (Number.isInteger(v) ? v : v.toFixed(1));
  if (v >= 0.01) return '$' + v.toFixed(2);
  return '$' + Number(v.toPrecision(2)); // 0.00005, not 0.000050
}

function statTile(label, value, { bad, href } = {}) {
  const v = h('div', { class: 'value' }, int(value));
  return h('div', { class: ['stat', bad ? 'bad' : null] }, h('div', { class: 'label' }, label), href ? h('a', { href }, v) : v);
}

function runningTable(list) {
  if (!list.length) return empty('Nothing is running right now.');
  return table([
    { title: 'Execution', cell: (x) => executionLink(x.execution_id) },
    { title: 'Status', cell: (x) => statusBadge(x.status) },
    { title: 'Started', cell: (x) => ago(x.started_at) },
    { title: 'SDK', cell: (x) => x.sdk_language || '—' },
  ], list);
}

export async function render(ctx) {
  const { root } = ctx;
  const rangeKey = RANGES[ctx.query.get('range')] ? ctx.query.get('range') : '7d';
  const range = RANGES[rangeKey];
  const since = new Date(Date.now() - range.ms).toISOString();
  const [stats, ex, fails, cost, recentGroups, crashes, running] = await Promise.all([
    ctx.get('/stats'),
    ctx.get('/stats/timeseries', { metric: 'executions', bucket: range.bucket, since }),
    ctx.get('/stats/timeseries', { metric: 'failures', bucket: range.bucket, since }),
    ctx.get('/stats/timeseries', { metric: 'cost_usd', bucket: range.bucket, since }),
    ctx.get('/failure-groups', { limit: 8 }),
    ctx.get('/executions', { status: 'crashed', limit: 8 }),
    ctx.get('/executions', { status: 'started', limit: 10 }),
  ]);

  const statsBox = h('div', { class: 'stats', id: 'stats' });
  const fillStats = (st) => replace(statsBox,
    statTile('Executions', st.total_executions, { href: '/ui/executions' }),
    statTile('Completed', st.completed_executions, { href: '/ui/executions?status=completed' }),
    statTile('Crashed (24 h)', st.crashed_24h, { bad: st.crashed_24h > 0, href: '/ui/executions?status=crashed' }),
    statTile('Open failure groups', st.open_failure_groups, { bad: st.open_failure_groups > 0, href: '/ui/failure-groups' }));
  fillStats(stats);

  const rangeButtons = h('div', { class: 'seg', role: 'group', 'aria-label': 'Time range' },
    Object.entries(RANGES).map(([k, r]) => h('button', {
      type: 'button', 'aria-pressed': String(k === rangeKey),
      onclick: () => ctx.navigate('/ui/?range=' + k, { replace: true }),
    }, r.label)));

  const costTotal = cost.points.reduce((a, p) => a + p.value, 0);
  const runningBox = h('div', { id: 'running' }, runningTable(running.executions));
  const liveNote = h('span', { class: 'live-note' });

  replace(root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Overview'), h('div', { class: 'sub' }, `Last ${range.label}, ${range.bucket === 'hour' ? 'per hour' : 'per day'} (UTC)`)),
      rangeButtons),
    stats.total_executions === 0 ? firstRunCard(location.origin) : null,
    statsBox,
    h('div', { class: 'grid2' },
      h('section', { class: 'card', id: 'chart-executions' },
        h('h2', {}, 'Executions and failures'),
        barChart({
          series: [
            { name: 'executions', key: 'executions', points: ex.points },
            { name: 'failing executions', key: 'failures', points: fails.points },
          ],
          bucket: range.bucket, format: (v) => int(Math.round(v)), integer: true, label: 'Executions and failing executions over time',
        }),
        h('div', { class: 'legend' },
          h('span', {}, h('span', { class: 'swatch executions' }), 'executions'),
          h('span', {}, h('span', { class: 'swatch failures' }), 'with a finding'))),
      h('section', { class: 'card', id: 'chart-cost' },
        h('h2', {}, range.bucket === 'hour' ? 'Cost per hour' : 'Cost per day'),
        barChart({
          series: [{ name: 'cost', key: 'cost_usd', points: cost.points }],
          bucket: range.bucket, format: (v) => usd(v), axisFormat: axisUsd, label: 'Estimated cost over time',
        }),
        h('div', { class: 'legend' }, h('span', {}, h('span', { class: 'swatch cost_usd' }), `estimated cost, ${usd(costTotal)} in total`)))),
    h('section', { class: 'card' },
      h('div', { class: 'row' }, h('h2', {}, h('span', { class: 'pulse' }), 'Running now'), h('span', { class: 'spacer' }), liveNote),
      runningBox),
    h('div', { class: 'grid2' },
      h('section', { class: 'card', id: 'recent-groups' },
        h('h2', {}, 'Latest failure groups'),
        recentGroups.failure_groups.length ? table([
          { title: 'Class', cell: (g) => classBadge(g.failure_class) },
          { title: 'Signature', cell: (g) => groupLink(g.group_id, g.signature), cls: 'ellipsis' },
          { title: 'Executions', num: true, cell: (g) => int(g.affected_executions) },
          { title: 'Last seen', cell: (g) => ago(g.last_seen) },
        ], recentGroups.failure_groups) : empty('No failures detected yet.')),
      h('section', { class: 'card', id: 'recent-crashes' },
        h('h2', {}, 'Latest crashes'),
        crashes.executions.length ? table([
          { title: 'Execution', cell: (x) => executionLink(x.execution_id) },
          { title: 'Started', cell: (x) => ago(x.started_at) },
          { title: 'Duration', num: true, cell: (x) => duration(x.duration_ms) },
          { title: 'Group', cell: (x) => (x.failure_group_id ? groupLink(x.failure_group_id) : '—') },
        ], crashes.executions) : empty('No crashed executions.'))));

  // Live: what is running and the headline numbers, every 5 s while the page is shown.
  ctx.every(5000, async () => {
    const [st, now] = await Promise.all([ctx.get('/stats'), ctx.get('/executions', { status: 'started', limit: 10 })]);
    fillStats(st);
    replace(runningBox, runningTable(now.executions));
    liveNote.textContent = 'updated ' + new Date().toLocaleTimeString();
  });
}
