// Billing (docs/api.md#billing): tier, usage this period, daily usage, upgrade and manage links. The target
// of billing links (/ui/billing, including Stripe's return with ?status=). Servers without
// GET /billing get a plain message instead of an error.
import { api, ApiError } from '../api.js';
import { barChart } from '../chart.js';
import { h, int, notice, replace, time, usd } from '../dom.js';

function unavailable(ctx) {
  replace(ctx.root, h('h1', {}, 'Billing'), notice('info', 'Billing is not available on this server: it has no GET /billing route.'));
}

export async function render(ctx) {
  if (!ctx.config.features.billing) return unavailable(ctx);
  let b;
  try {
    b = await ctx.get('/billing');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return unavailable(ctx);
    throw e;
  }
  let usage = null;
  if (ctx.config.features.billing_usage) {
    try {
      usage = await ctx.get('/billing/usage');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
  const status = h('div');
  const returned = ctx.query.get('status');
  if (returned === 'success') status.append(notice('ok', 'Thank you: your subscription is being set up. The tier updates when Stripe confirms it.'));
  if (returned === 'canceled') status.append(notice('info', 'Checkout canceled: nothing changed.'));

  const redirect = (path) => async (ev) => {
    ev.target.disabled = true;
    try {
      const r = await api('POST', path);
      location.assign(r.url);
    } catch (e) {
      ev.target.disabled = false;
      replace(status, notice('error', e.message));
    }
  };
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  const included = b.included_executions;
  let chart = null;
  if (usage && Array.isArray(usage.days)) {
    // Usage lists non-zero days only; the plot shows every day of the window.
    const counts = new Map(usage.days.map((d) => [d.date.slice(0, 10), d.count]));
    const points = [];
    const end = new Date(usage.until || Date.now());
    for (let i = 29; i >= 0; i--) {
      const t = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate() - i)).toISOString();
      points.push({ t, value: counts.get(t.slice(0, 10)) || 0 });
    }
    chart = h('section', { class: 'card' }, h('h2', {}, 'Executions per day (last 30 days)'),
      barChart({ series: [{ name: 'executions', key: 'usage', points }], bucket: 'day', format: (v) => int(Math.round(v)), integer: true, label: 'Executions per day' }));
  }
  const head = h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Billing'), h('div', { class: 'sub' }, `Project ${b.project_id}`)));
  const executions = h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Executions this period'), h('div', { class: 'value' }, int(b.executions_this_period)));
  // A server without Stripe has no plans to show: tiers, allowances and overage prices would only
  // describe a billing that does not happen there. Usage is still worth seeing.
  if (b.billing_configured === false) {
    replace(ctx.root, head,
      notice('info', 'Billing not configured: this server has no Stripe settings, so there is no plan, allowance or overage. Executions are counted below.'),
      h('div', { class: 'stats', id: 'billing-usage' }, executions), chart);
    return;
  }
  replace(ctx.root, head,
    status,
    h('div', { class: 'stats' },
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Tier'), h('div', { class: 'value' }, b.tier)),
      executions,
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Included'), h('div', { class: 'value' }, included === 0 && b.tier === 'enterprise' ? 'unlimited' : int(included)))),
    h('section', { class: 'card' },
      h('dl', { class: 'kv' },
        row('Period', b.current_period_start ? [time(b.current_period_start), ' – ', time(b.current_period_end)] : 'calendar month (UTC)'),
        row('Granted executions', [int(b.granted_executions), b.granted_executions_expires_at ? [' until ', time(b.granted_executions_expires_at)] : null]),
        b.tier_expires_at ? row('Tier expires', time(b.tier_expires_at)) : null,
        row('Overage', `${usd(b.overage_price_per_execution_usd)} per execution`)),
      h('div', { class: 'row' },
        b.can_upgrade ? h('button', { type: 'button', class: 'primary', onclick: redirect('/billing/checkout') }, 'Upgrade to Pro') : null,
        b.can_manage ? h('button', { type: 'button', onclick: redirect('/billing/portal') }, 'Manage subscription') : null)),
    chart);
}
