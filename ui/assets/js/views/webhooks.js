// Webhooks: create (the signing secret is shown once), send a test message, read the delivery
// log, delete.
import { api } from '../api.js';
import { confirmButton, duration, empty, enc, h, notice, replace, table, time } from '../dom.js';

const CLASSES = ['crashes', 'loops', 'tool_failures', 'validator_failures', 'drift', 'cost_velocity', 'prompt_injection'];

function deliveriesTable(list) {
  if (!list.length) return empty('No deliveries yet.');
  return table([
    { title: 'When', cls: 'nowrap', cell: (d) => time(d.created_at) },
    { title: 'Delivery', cell: (d) => h('span', { class: 'mono' }, d.delivery_id) },
    { title: 'Event', cell: (d) => [d.failure_class || '', d.signature ? h('div', { class: 'mono muted' }, d.signature) : null] },
    { title: 'Attempt', num: true, cell: (d) => String(d.attempt) },
    { title: 'Status', cell: (d) => h('span', { class: ['badge', d.status === 'delivered' ? 'status-completed' : d.status === 'pending' ? 'status-started' : 'status-crashed'] }, d.status) },
    { title: 'HTTP', num: true, cell: (d) => (d.http_status ? String(d.http_status) : '—') },
    { title: 'Error', cls: 'ellipsis', cell: (d) => d.error || '' },
    { title: 'Took', num: true, cell: (d) => duration(d.duration_ms) },
  ], list);
}

export async function render(ctx) {
  const listBox = h('div', { id: 'webhooks-list' });
  const status = h('div');
  const secretBox = h('div', { id: 'webhook-secret' });
  const detailBox = h('div', { id: 'webhook-detail' });

  const showDeliveries = async (w) => {
    const r = await ctx.get(`/webhooks/${enc(w.webhook_id)}/deliveries`, { limit: 50 });
    replace(detailBox, h('section', { class: 'card', id: 'deliveries' },
      h('div', { class: 'row' }, h('h2', {}, 'Deliveries of ', h('span', { class: 'mono' }, w.name || w.webhook_id)), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'small', onclick: () => showDeliveries(w).catch(() => {}) }, 'Refresh')),
      deliveriesTable(r.deliveries)));
  };

  const load = async () => {
    const r = await ctx.get('/webhooks');
    replace(listBox, r.webhooks.length ? table([
      { title: 'Name', cell: (w) => w.name || h('span', { class: 'muted' }, 'unnamed') },
      { title: 'URL', cls: 'ellipsis', cell: (w) => h('span', { class: 'mono', title: w.url }, w.url) },
      { title: 'Classes', cell: (w) => (w.enabled_classes.length ? w.enabled_classes.join(', ') : 'all') },
      { title: 'Enabled', cell: (w) => (w.enabled ? 'yes' : 'no') },
      { title: 'Created', cls: 'nowrap', cell: (w) => time(w.created_at) },
      {
        title: '',
        cell: (w) => h('div', { class: 'row' },
          h('button', {
            type: 'button', class: 'small test-webhook',
            onclick: async (ev) => {
              ev.target.disabled = true;
              try {
                const t = await api('POST', `/webhooks/${enc(w.webhook_id)}/test`);
                replace(status, notice(t.ok ? 'ok' : 'error', t.ok
                  ? `Test message delivered (HTTP ${t.http_status}, ${duration(t.duration_ms)}).`
                  : `Test message failed: ${t.error || 'HTTP ' + t.http_status}.`));
                await showDeliveries(w);
              } catch (e) {
                replace(status, notice('error', 'Test failed: ' + e.message));
              } finally {
                ev.target.disabled = false;
              }
            },
          }, 'Send test'),
          h('button', { type: 'button', class: 'small', onclick: () => showDeliveries(w).catch((e) => replace(status, notice('error', e.message))) }, 'Deliveries'),
          confirmButton('Delete', 'Confirm delete', async () => {
            try {
              await api('DELETE', '/webhooks/' + enc(w.webhook_id));
              replace(status, notice('ok', 'Webhook deleted.'));
              replace(detailBox);
              replace(secretBox);
              await load();
            } catch (e) {
              replace(status, notice('error', 'Delete failed: ' + e.message));
            }
          })),
      },
    ], r.webhooks) : empty('No webhooks. Vigil posts a message to each one when a new failure group appears.'));
  };

  const url = h('input', { id: 'webhook-url', type: 'url', placeholder: 'https://example.com/hooks/vigil', required: true, size: 40 });
  const name = h('input', { id: 'webhook-name', placeholder: 'optional' });
  const boxes = CLASSES.map((c) => h('input', { type: 'checkbox', value: c }));
  const form = h('form', { id: 'webhook-form' },
    h('div', { class: 'filters' }, h('label', {}, 'URL', url), h('label', {}, 'Name', name)),
    h('fieldset', {}, h('legend', {}, 'Failure classes (none ticked = all)'),
      h('div', { class: 'row' }, boxes.map((b) => h('label', { class: 'check' }, b, b.value)))),
    h('button', { type: 'submit', class: 'primary' }, 'Create webhook'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/webhooks', {
        body: { url: url.value.trim(), name: name.value.trim() || undefined, enabled_classes: boxes.filter((b) => b.checked).map((b) => b.value) },
      });
      url.value = '';
      name.value = '';
      for (const b of boxes) b.checked = false;
      replace(status);
      replace(secretBox, notice('warn', h('strong', {}, 'Signing secret, shown only once: '), r.warning || '',
        h('div', { class: 'secret' }, h('code', { id: 'webhook-secret-value' }, r.secret)),
        h('button', { type: 'button', class: 'small', onclick: () => replace(secretBox) }, 'I have stored it')));
      await load();
    } catch (e) {
      replace(status, notice('error', 'Could not create the webhook: ' + e.message));
    }
  });

  await load();
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Webhooks'), h('div', { class: 'sub' }, 'Signed messages (Standard Webhooks) on each new failure group; Slack and Discord URLs get their own format.'))),
    status,
    secretBox,
    h('section', { class: 'card' }, h('h2', {}, 'Add a webhook'), form),
    h('section', { class: 'card' }, h('h2', {}, 'Webhooks'), listBox),
    detailBox);
}
