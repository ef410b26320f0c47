// One failure group: its lifecycle state with the buttons that move it (resolve, mute, reopen),
// its numbers, the playbook for its class and signature, and the executions that hold a finding
// in it (paged).
import { ApiError, api, query } from '../api.js';
import { classBadge, empty, enc, executionLink, groupStateBadge, h, int, notice, pager, replace, time, usd } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { executionsTable } from './executions.js';

const LIMIT = 50;

// The moves offered from each state, as [route, button label, what the button says it does].
const MOVES = {
  open: [['resolve', 'Resolve', 'Dealt with: it opens again if the failure recurs'], ['mute', 'Mute', 'Known and accepted: findings are still recorded, nothing is announced']],
  resolved: [['reopen', 'Reopen', 'Not dealt with after all'], ['mute', 'Mute', 'Known and accepted: findings are still recorded, nothing is announced']],
  muted: [['reopen', 'Unmute', 'Announce it again and count it as open'], ['resolve', 'Resolve', 'Dealt with: it opens again if the failure recurs']],
};

// The state badge and the buttons that move the group; a move re-draws the page.
function lifecycleBox(ctx, g) {
  const status = h('div', { id: 'group-state-status' });
  const buttons = (MOVES[g.state] || []).map(([route, label, title]) => {
    const b = h('button', { type: 'button', class: 'small', id: 'group-' + route, title }, label);
    b.addEventListener('click', async () => {
      for (const other of buttons) other.disabled = true;
      try {
        await api('POST', `/failure-groups/${enc(g.group_id)}/${route}`);
        ctx.navigate(location.pathname + location.search, { replace: true });
      } catch (e) {
        for (const other of buttons) other.disabled = false;
        replace(status, notice('error', `Could not ${label.toLowerCase()} the group: ${e.message}`));
      }
    });
    return b;
  });
  return h('div', { class: 'group-lifecycle', id: 'group-lifecycle' },
    h('div', {}, 'State ', h('span', { id: 'group-state' }, groupStateBadge(g.state))), buttons, status);
}

export async function loadPlaybook(ctx, failureClass, signature) {
  try {
    const text = await ctx.get('/playbooks', { failure_class: failureClass, signature });
    return renderMarkdown(text);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return empty('No playbook for this failure yet.');
    throw e;
  }
}

export async function render(ctx) {
  const id = ctx.params[0];
  const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
  let g;
  try {
    g = await ctx.get('/failure-groups/' + enc(id));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(ctx.root, h('h1', { class: 'mono' }, id), notice('warn', 'No failure group with this id in your project. ', h('a', { href: '/ui/failure-groups' }, 'All failure groups')));
      return;
    }
    throw e;
  }
  ctx.setTitle(`${g.failure_class} · ${g.signature}`);
  const [playbook, page] = await Promise.all([
    loadPlaybook(ctx, g.failure_class, g.signature),
    ctx.get(`/failure-groups/${enc(id)}/executions`, { limit: LIMIT, offset }),
  ]);
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', {}, classBadge(g.failure_class), ' ', h('span', { class: 'mono' }, g.signature)),
        h('div', { class: 'sub mono' }, g.group_id)),
      lifecycleBox(ctx, g)),
    h('div', { class: 'stats' }, [
      ['Executions', int(g.affected_executions)],
      ['Cost wasted', usd(g.cost_wasted_usd || 0)],
    ].map(([label, value]) => h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value)))),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' },
        h('h2', {}, 'Group'),
        h('dl', { class: 'kv' },
          row('Class', g.failure_class),
          row('Signature', h('code', {}, g.signature)),
          row('First seen', time(g.first_seen)),
          row('Last seen', time(g.last_seen)),
          row('State changed', g.state_changed_at ? [time(g.state_changed_at), g.state_changed_by ? ` by ${g.state_changed_by}` : ''] : '—'),
          row('Sample execution', g.sample_execution_id ? executionLink(g.sample_execution_id) : '—'))),
      h('section', { class: 'card', id: 'playbook' },
        h('h2', {}, 'Playbook'),
        playbook)),
    h('section', { class: 'card', id: 'group-executions' },
      h('h2', {}, 'Executions in this group'),
      page.executions.length ? executionsTable(page.executions) : empty(offset ? 'No more executions.' : 'No execution holds this finding any more.'),
      pager({ offset, limit: LIMIT, count: page.count, go: (o) => ctx.navigate(`/ui/failure-groups/${enc(id)}` + query({ offset: o || '' })) })));
}
