// API keys: list, mint (the raw key is shown once, here, and never again) and revoke.
import { api } from '../api.js';
import { ago, confirmButton, empty, enc, h, notice, replace, table, time } from '../dom.js';
import { session } from '../api.js';

export async function render(ctx) {
  const listBox = h('div', { id: 'keys-list' });
  const minted = h('div', { id: 'minted' });
  const status = h('div');

  const load = async () => {
    const r = await ctx.get('/api-keys');
    const mine = session.key();
    replace(listBox, r.api_keys.length ? table([
      { title: 'Name', cell: (k) => k.name || h('span', { class: 'muted' }, 'unnamed') },
      { title: 'Key', cell: (k) => h('code', {}, k.key_prefix + '…') },
      { title: 'Id', cell: (k) => h('span', { class: 'mono' }, k.key_id) },
      { title: 'Created', cls: 'nowrap', cell: (k) => time(k.created_at) },
      { title: 'Last used', cls: 'nowrap', cell: (k) => (k.last_used_at ? ago(k.last_used_at) : 'never') },
      {
        title: '',
        cell: (k) => h('div', { class: 'row' },
          mine.startsWith(k.key_prefix) ? h('span', { class: 'badge' }, 'this browser') : null,
          confirmButton('Revoke', 'Confirm revoke', async () => {
            try {
              await api('DELETE', '/api-keys/' + enc(k.key_id));
              replace(status, notice('ok', `Revoked ${k.name || k.key_id}. Requests with it are refused from now on.`));
              await load();
            } catch (e) {
              if (e.status !== 401) replace(status, notice('error', 'Revoke failed: ' + e.message));
            }
          })),
      },
    ], r.api_keys, { rowClass: (k) => 'key-' + k.key_id }) : empty('No keys.'));
  };

  const name = h('input', { id: 'key-name', placeholder: 'e.g. production agents', maxlength: 200 });
  const form = h('form', { class: 'filters', id: 'mint-form' },
    h('label', {}, 'Name', name),
    h('button', { type: 'submit', class: 'primary' }, 'Mint key'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api-keys', { body: name.value.trim() ? { name: name.value.trim() } : {} });
      name.value = '';
      const code = h('code', { id: 'raw-key' }, r.raw_key);
      replace(minted, notice('warn',
        h('strong', {}, 'Copy this key now: it is shown only once. '), r.warning || '',
        h('div', { class: 'secret' }, code, h('button', {
          type: 'button', class: 'small',
          onclick: () => { getSelection().selectAllChildren(code); },
        }, 'Select')),
        h('button', { type: 'button', class: 'small', onclick: () => replace(minted) }, 'I have stored it')));
      await load();
    } catch (e) {
      replace(status, notice('error', 'Could not mint a key: ' + e.message));
    }
  });

  await load();
  replace(ctx.root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'API keys'), h('div', { class: 'sub' }, 'Keys authenticate SDKs and this dashboard. Only a hash is stored: a lost key cannot be shown again.'))),
    status,
    minted,
    h('section', { class: 'card' }, h('h2', {}, 'Mint a key'), form),
    h('section', { class: 'card' }, h('h2', {}, 'Keys'), listBox));
}
