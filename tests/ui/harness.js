// Starts the real vigil binary with a temporary database, talks to it over HTTP, drives Debian's
// Chromium through playwright-core, and records every console error a page produces.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.VIGIL_BIN || path.join(ROOT, 'build', 'vigil');
export const ARTIFACTS = process.env.VIGIL_UI_ARTIFACTS || path.join(ROOT, 'build', 'ui-artifacts');
export const CHROMIUM = process.env.VIGIL_CHROMIUM || '/usr/bin/chromium';
export const DEV_KEY = 'vigil_sk_ui_test_dev_key_0123456789';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// One vigil process. The dashboard URL must name the port before start-up (it goes into webhook
// messages), so the port is chosen here rather than by the server.
export async function startVigil(extraEnv = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIGIL_')));
  Object.assign(env, {
    VIGIL_PORT: String(port),
    VIGIL_BIND: '127.0.0.1',
    VIGIL_DB: path.join(dir, 'vigil.db'),
    VIGIL_DEV: '1',
    VIGIL_DEV_KEY: DEV_KEY,
    VIGIL_RATE_LIMIT_BURST: '100000',
    VIGIL_RATE_LIMIT_PER_SEC: '100000',
    VIGIL_MASTER_KEY: '11'.repeat(32),
    VIGIL_WEBHOOK_ALLOW_PRIVATE: '1',
    VIGIL_WEBHOOK_RETRY_BASE_MS: '200',
    VIGIL_DASHBOARD_URL: `${base}/ui`,
    VIGIL_SSE_KEEPALIVE_S: '1',
  }, extraEnv);
  const proc = spawn(BIN, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  await new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
    const check = () => {
      if (/"msg":"listening"/.test(log)) return resolve();
      if (proc.exitCode !== null) return reject(new Error('vigil exited: ' + log));
      if (Date.now() > deadline) return reject(new Error('vigil did not start: ' + log));
      setTimeout(check, 20);
    };
    check();
  });
  return {
    base,
    port,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A small JSON client for seeding and for checking what the dashboard did.
export class Api {
  constructor(base, key = DEV_KEY) {
    this.base = base;
    this.key = key;
  }

  async req(method, p, body, { key } = {}) {
    const headers = {};
    const k = key === undefined ? this.key : key;
    if (k) headers.Authorization = 'Bearer ' + k;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // playbooks and pages are not JSON
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  get(p, opts) { return this.req('GET', p, undefined, opts); }
  post(p, body, opts) { return this.req('POST', p, body, opts); }
  patch(p, body, opts) { return this.req('PATCH', p, body, opts); }

  async ok(method, p, body) {
    const r = await this.req(method, p, body);
    if (r.status !== 200) throw new Error(`${method} ${p} -> ${r.status} ${r.text}`);
    return r.json;
  }
}

// Receives webhook messages on 127.0.0.1 (the server runs with VIGIL_WEBHOOK_ALLOW_PRIVATE=1).
export async function startReceiver() {
  const messages = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      try {
        messages.push(JSON.parse(body));
      } catch {
        messages.push({ raw: body });
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    messages,
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function waitFor(fn, { timeout = 15000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function launchBrowser() {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Root in a container has no user namespaces for Chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

// A fresh browser context and page whose console errors, uncaught exceptions, failed requests
// and HTTP error responses are all recorded; `clean()` asserts there were none.
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url || ''})`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation or poll cut short by leaving the page is not a failure.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText || '')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return {
    context,
    page,
    problems,
    async shot(name) {
      await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
    },
    async close() {
      await context.close();
    },
  };
}

// Opens the dashboard and pastes the key into its form.
export async function signIn(page, base, key = DEV_KEY, at = '/ui/') {
  await page.goto(base + at);
  await page.locator('#api-key').fill(key);
  await page.locator('#key-form button[type=submit]').click();
  await page.locator('#nav').waitFor({ state: 'visible' });
}

// A `withPage(name, body, { allow })` for the browser `getBrowser()` returns: runs a page through
// `body`, takes the screenshot and asserts the page stayed clean (no problem that `allow` does not
// accept).
export function pageRunner(getBrowser) {
  return async function withPage(name, body, { allow = () => false } = {}) {
    const p = await openPage(getBrowser());
    try {
      await body(p.page, p);
      await p.shot(name);
      assert.deepEqual(p.problems.filter((x) => !allow(x)), [], 'page problems');
    } catch (e) {
      await p.shot(name + '-failed').catch(() => {});
      throw e;
    } finally {
      await p.close();
    }
  };
}

// Runs a shell snippet from the dashboard with bash in the repository root; rejects on failure.
export function runSnippet(text) {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIGIL_')));
    const child = spawn('bash', ['-euo', 'pipefail', '-c', text], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`snippet failed (${code}): ${out}\n${text}`))));
  });
}
