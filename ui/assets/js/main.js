// The dashboard's shell: asks for an API key once per browser session, routes /ui/<path> to a
// view, keeps links inside the page (History API), and gives views bounded live polling.
import { ApiError, get, session, setUnauthorizedHandler } from './api.js';
import { h, notice, replace } from './dom.js';
import * as overview from './views/overview.js';
import * as executions from './views/executions.js';
import * as execution from './views/execution.js';
import * as groups from './views/groups.js';
import * as group from './views/group.js';
import * as playbook from './views/playbook.js';
import * as keys from './views/keys.js';
import * as webhooks from './views/webhooks.js';
import * as policy from './views/policy.js';
import * as audit from './views/audit.js';
import * as billing from './views/billing.js';

// Which optional API routes this server has, and its price table (index.html, filled in by the
// server). Views never call a route the server does not have.
function readConfig() {
  const meta = document.querySelector('meta[name="vigil-config"]');
  try {
    return JSON.parse(meta ? meta.content : '{}');
  } catch {
    return {};
  }
}
const config = Object.assign({ features: {}, prices: [] }, readConfig());

// Paths under /ui; the first match wins. These include the dashboard link paths of webhook
// messages and billing (/executions/<id>, /failure-groups/<id>, /playbooks?..., /billing).
const ROUTES = [
  [/^\/?$/, overview, 'Overview', '/ui/'],
  [/^\/executions\/?$/, executions, 'Executions', '/ui/executions'],
  [/^\/executions\/(.+)$/, execution, 'Execution', '/ui/executions'],
  [/^\/failure-groups\/?$/, groups, 'Failure groups', '/ui/failure-groups'],
  [/^\/failure-groups\/(.+)$/, group, 'Failure group', '/ui/failure-groups'],
  [/^\/playbooks\/?$/, playbook, 'Playbook', '/ui/failure-groups'],
  [/^\/keys\/?$/, keys, 'API keys', '/ui/keys'],
  [/^\/webhooks\/?$/, webhooks, 'Webhooks', '/ui/webhooks'],
  [/^\/policy\/?$/, policy, 'Policy', '/ui/policy'],
  [/^\/audit-log\/?$/, audit, 'Audit log', '/ui/audit-log'],
  [/^\/billing\/?$/, billing, 'Billing', '/ui/billing'],
];

const POLL_MAX_TICKS = 720; // one hour at 5 s: an open tab does not poll forever
const POLL_MAX_BACKOFF_MS = 60000;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const projectName = document.getElementById('project-name');
let current = null; // {controller, timers}
let project = null;

function uiPath() {
  const p = location.pathname;
  const i = p.indexOf('/ui');
  return i < 0 ? '/' : p.slice(i + 3) || '/';
}

export function navigate(url, { replace: replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function stopCurrent() {
  if (!current) return;
  current.controller.abort();
  for (const t of current.timers) clearTimeout(t);
  current = null;
}

// Polls `fn` every `ms` while the view is shown: one call in flight at a time, paused while the
// tab is hidden, backing off on errors, and stopping when `fn` returns false or after
// POLL_MAX_TICKS calls. Bounded by construction: a dashboard left open adds little load.
function makeEvery(state) {
  return (ms, fn) => {
    let delay = ms;
    let ticks = 0;
    const schedule = () => {
      if (state.controller.signal.aborted) return;
      state.timers.push(setTimeout(tick, delay));
    };
    const tick = async () => {
      if (state.controller.signal.aborted) return;
      if (document.hidden) return schedule();
      if (++ticks > POLL_MAX_TICKS) return;
      try {
        const more = await fn();
        delay = ms;
        if (more === false) return;
      } catch (e) {
        if (state.controller.signal.aborted || e.name === 'AbortError') return;
        if (e instanceof ApiError && e.status === 401) return;
        delay = Math.min(delay * 2, POLL_MAX_BACKOFF_MS);
      }
      schedule();
    };
    schedule();
  };
}

function showGate(message) {
  stopCurrent();
  nav.hidden = true;
  sessionBox.hidden = true;
  project = null;
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'vigil_sk_…', required: true });
  const status = h('div');
  const form = h('form', { id: 'key-form', novalidate: true },
    h('label', {}, 'API key', input),
    h('button', { type: 'submit', class: 'primary' }, 'Open dashboard'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) {
      replace(status, notice('error', 'Paste an API key first.'));
      return;
    }
    replace(status, notice('info', 'Checking the key…'));
    try {
      project = await get('/project', null, { key });
      session.set(key);
      input.value = '';
      render();
    } catch (e) {
      replace(status, notice('error', e instanceof ApiError && e.status === 401
        ? 'This key was refused. Check that it is a current key of your project.'
        : `Could not check the key: ${e.message}`));
    }
  });
  replace(main,
    h('div', { class: 'gate card' },
      h('h1', {}, 'Vigil dashboard'),
      h('p', { class: 'muted' },
        'Paste an API key of your project. It stays in this browser tab (session storage) and is sent only to this server, in the Authorization header of its API calls.'),
      message ? notice('warn', message) : null,
      form,
      status));
  input.focus();
}

async function ensureProject(signal) {
  if (project) return;
  project = await get('/project', null, { signal });
}

function markNav(base) {
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === base) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render() {
  stopCurrent();
  if (!session.key()) return showGate();
  const state = { controller: new AbortController(), timers: [] };
  current = state;
  const path = uiPath();
  let view = null;
  let params = [];
  let title = 'Not found';
  let base = null;
  for (const [re, mod, t, b] of ROUTES) {
    const m = re.exec(path);
    if (m) {
      view = mod;
      title = t;
      base = b;
      params = m.slice(1).map((x) => {
        try {
          return decodeURIComponent(x);
        } catch {
          return x;
        }
      });
      break;
    }
  }
  nav.hidden = false;
  sessionBox.hidden = false;
  markNav(base);
  document.title = `${title} · Vigil`;
  const root = h('div', { class: 'view' });
  replace(main, root);
  const ctx = {
    root,
    params,
    query: new URLSearchParams(location.search),
    signal: state.controller.signal,
    config,
    every: makeEvery(state),
    navigate,
    setTitle: (t) => { document.title = `${t} · Vigil`; },
    get: (path, q) => get(path, q, { signal: state.controller.signal }),
  };
  try {
    await ensureProject(ctx.signal);
    projectName.textContent = project ? `${project.name} (${project.project_id})` : '';
    if (!view) {
      replace(root, h('h1', {}, 'Not found'), notice('warn', 'No dashboard page at this address. ', h('a', { href: '/ui/' }, 'Go to the overview.')));
      return;
    }
    await view.render(ctx);
  } catch (e) {
    if (ctx.signal.aborted || e.name === 'AbortError') return;
    if (e instanceof ApiError && e.status === 401) return; // the gate is already shown
    replace(root, h('h1', {}, title), notice('error', e.message || String(e)));
  }
}

setUnauthorizedHandler(() => {
  session.clear();
  showGate('The server refused the key (revoked, or from another server). Paste a current key.');
});

document.getElementById('forget-key').addEventListener('click', () => {
  session.clear();
  showGate();
});

// Links to /ui/... stay in the page; other links and modified clicks behave normally.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui')) return;
  ev.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', render);
render();
