// DOM building and formatting. Text always goes in as text nodes, never as HTML, so nothing an
// agent sent (payloads, messages, names) can inject markup into the dashboard.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function applyAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'value' && 'value' in node) node.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

// h('a', {href: '/ui/'}, 'text', child...) creates an element.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  applyAttrs(node, attrs);
  append(node, children);
  return node;
}

// The same for SVG elements.
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  applyAttrs(node, attrs);
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

export const enc = encodeURIComponent;

export function executionLink(id, text) {
  return h('a', { href: '/ui/executions/' + enc(id), class: 'mono' }, text || id);
}

// An agent name, linking to the executions of that name.
export function nameLink(name) {
  return h('a', { href: '/ui/executions?name=' + enc(name), class: 'agent-name' }, name);
}

export function groupLink(id, text) {
  return h('a', { href: '/ui/failure-groups/' + enc(id), class: 'mono' }, text || id);
}

export function statusBadge(status) {
  return h('span', { class: ['badge', 'status-' + status] }, status === 'started' ? 'running' : status);
}

export function classBadge(cls) {
  return h('span', { class: ['badge', 'class-' + cls] }, cls);
}

// A failure group's lifecycle state: open, resolved or muted.
export function groupStateBadge(state) {
  return h('span', { class: ['badge', 'state-' + state] }, state);
}

export function notice(kind, ...children) {
  return h('div', { class: ['notice', kind], role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function empty(text) {
  return h('div', { class: 'empty' }, text);
}

// A table from column definitions {title, num?, cell(row) -> node|string}.
export function table(columns, rows, { rowClass } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : null }, c.title)))),
      h('tbody', {}, rows.map((r) => h('tr', { class: rowClass ? rowClass(r) : null },
        columns.map((c) => h('td', { class: c.num ? 'num' : c.cls || null }, c.cell(r))))))));
}

// Prev/next paging for lists that report `count` (items returned) but no total.
export function pager({ offset, limit, count, go }) {
  const from = count === 0 ? 0 : offset + 1;
  return h('div', { class: 'pager' },
    h('span', { class: 'muted' }, count === 0 ? (offset > 0 ? 'No more rows' : '') : `Rows ${from}–${offset + count}`),
    h('button', { type: 'button', class: 'small', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, '← Newer'),
    h('button', { type: 'button', class: 'small', disabled: count < limit, onclick: () => go(offset + limit) }, 'Older →'));
}

// ---- formatting -------------------------------------------------------------------------------

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local time "YYYY-MM-DD HH:MM:SS"; the exact UTC value is in the title.
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, text);
}

export function ago(iso) {
  if (!iso) return '—';
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return iso;
  const sec = Math.round(ms / 1000);
  let text;
  if (sec < 60) text = `${Math.max(0, sec)} s ago`;
  else if (sec < 3600) text = `${Math.round(sec / 60)} min ago`;
  else if (sec < 86400) text = `${Math.round(sec / 3600)} h ago`;
  else text = `${Math.round(sec / 86400)} d ago`;
  return h('time', { datetime: iso, title: iso }, text);
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${Math.floor(ms / 3600000)} h ${Math.round((ms % 3600000) / 60000)} min`;
}

export function usd(v) {
  if (v === undefined || v === null) return '—';
  if (v === 0) return '$0';
  if (v < 0.01) return '$' + v.toFixed(4);
  if (v < 100) return '$' + v.toFixed(3);
  return '$' + v.toFixed(2);
}

export function int(v) {
  if (v === undefined || v === null) return '—';
  return Number(v).toLocaleString('en-US');
}

// "2026-05-14T17:33" (local) for <input type="datetime-local"> from an ISO timestamp, and back.
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// A button that asks for a second click before doing something destructive (no modal dialogs).
export function confirmButton(label, confirmLabel, action) {
  const b = h('button', { type: 'button', class: 'danger small' }, label);
  let timer = null;
  b.addEventListener('click', async () => {
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = confirmLabel;
      timer = setTimeout(() => { b.classList.remove('armed'); b.textContent = label; }, 4000);
      return;
    }
    clearTimeout(timer);
    b.disabled = true;
    try {
      await action();
    } finally {
      b.disabled = false;
      b.classList.remove('armed');
      b.textContent = label;
    }
  });
  return b;
}
