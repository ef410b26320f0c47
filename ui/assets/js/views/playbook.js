// A playbook by class and signature: the target of `playbook_url` in webhook messages
// (/ui/playbooks?class=<c>&signature=<s>).
import { h, notice, replace } from '../dom.js';
import { loadPlaybook } from './group.js';

export async function render(ctx) {
  const cls = ctx.query.get('class') || ctx.query.get('failure_class') || '';
  const signature = ctx.query.get('signature') || '';
  if (!cls || !signature) {
    replace(ctx.root, h('h1', {}, 'Playbook'), notice('warn', 'This address needs a failure class and a signature. ', h('a', { href: '/ui/failure-groups' }, 'Open a failure group instead.')));
    return;
  }
  ctx.setTitle(`Playbook · ${cls}`);
  const body = await loadPlaybook(ctx, cls, signature);
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Playbook'), h('div', { class: 'sub' }, h('span', { class: 'mono' }, `${cls} · ${signature}`)))),
    h('section', { class: 'card', id: 'playbook' }, body),
    h('p', {}, h('a', { href: '/ui/failure-groups' }, 'All failure groups')));
}
