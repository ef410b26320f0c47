// End-to-end tests of the embedded dashboard in headless Chromium against the real binary, with
// data seeded over the same HTTP API the SDKs use. Every test fails on a console error, an
// uncaught exception, a failed request or an HTTP error response in the page (except where a test
// provokes one on purpose and says so). Screenshots go to build/ui-artifacts/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Api, DEV_KEY, ROOT, launchBrowser, pageRunner, runSnippet, signIn, startReceiver, startVigil,
  waitFor,
} from './harness.js';

const TIMEOUT = { timeout: 90000 };
const WORDS = ['account', 'balance', 'invoice', 'refund', 'policy', 'customer', 'shipment', 'order',
  'delay', 'weather', 'forecast', 'summary', 'report', 'quarter', 'revenue', 'budget', 'contract',
  'renewal', 'ticket', 'priority', 'database', 'schema', 'latency', 'cluster', 'deploy', 'release',
  'pricing', 'catalog', 'search', 'vector', 'translate', 'poem', 'recipe', 'garden', 'flight', 'museum'];

let vigil;
let api;
let receiver;
let browser;
const seeded = { total: 0, crashed: 0, lastDay: 0 };

// Deterministic "random" words, so no two messages are near-identical by accident (the
// similar-call detector would group them).
let state = 7;
function word() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return WORDS[Math.floor(state / 65536) % WORDS.length]; // the low bits of this generator cycle
}
function message() {
  return Array.from({ length: 12 }, word).join(' ');
}

function llmEvent(execId, seq, ts, { model = 'gpt-4o-mini', msg = message(), tokensIn = 800, tokensOut = 120 } = {}) {
  return {
    event_id: `${execId}-e${seq}`, execution_id: execId, event_type: 'llm_call', sequence: seq,
    timestamp: new Date(ts).toISOString(), duration_ms: 400 + seq * 10,
    payload: { model, status: 'ok', user_message: msg, response_text: 'ok: ' + msg, input_tokens: tokensIn, output_tokens: tokensOut },
  };
}

function toolEvent(execId, seq, ts, tool, status) {
  return {
    event_id: `${execId}-e${seq}`, execution_id: execId, event_type: 'tool_call', sequence: seq,
    timestamp: new Date(ts).toISOString(), duration_ms: 120,
    payload: { tool_name: tool, status, arguments: { args: ['q'], kwargs: {} }, result_summary: status === 'ok' ? '3 rows' : '', exception_type: status === 'failed' ? 'TimeoutError' : undefined },
  };
}

async function seed() {
  // The webhook comes first: each failure group the seed creates then sends a message with
  // dashboard links (docs/api.md#webhook-messages), which a test follows.
  await api.ok('POST', '/webhooks', { url: receiver.url, name: 'seed receiver' });
  const now = Date.now();
  const events = [];
  const patches = [];
  for (let i = 0; i < 60; i++) {
    const id = `exec-ui-${String(i).padStart(3, '0')}`;
    const started = now - (60 - i) * 2.4 * 3600e3 + 60e3;
    for (let s = 1; s <= 3; s++) events.push(llmEvent(id, s, started + s * 1000));
    const patch = { status: 'completed', started_at: new Date(started).toISOString(), ended_at: new Date(started + 5000).toISOString(), duration_ms: 5000, estimated_cost_usd: 0.01 + i / 1000, sdk_language: 'python', sdk_version: '0.1.0' };
    if (i % 10 === 3 || i % 10 === 7) {
      patch.status = 'crashed';
      patch.crash_signature = i % 10 === 3 ? 'c0ffee00c0ffee01' : 'c0ffee00c0ffee02';
      seeded.crashed++;
    }
    if (i % 15 === 5) events.push(toolEvent(id, 4, started + 4000, 'web_search', 'failed'));
    if (started >= now - 24 * 3600e3) seeded.lastDay++;
    patches.push([id, patch]);
  }
  // One execution with a richer timeline, two children and a failed tool call.
  const t0 = now - 3600e3;
  const tl = 'exec-ui-timeline';
  events.push(llmEvent(tl, 1, t0 + 100, { model: 'gpt-4o', tokensIn: 1200, tokensOut: 300 }));
  for (let s = 2; s <= 11; s++) {
    events.push(s % 3 === 0 ? toolEvent(tl, s, t0 + s * 700, 'sql_query', 'ok') : llmEvent(tl, s, t0 + s * 700));
  }
  events.push(toolEvent(tl, 12, t0 + 9000, 'send_email', 'failed'));
  patches.push([tl, { status: 'completed', started_at: new Date(t0).toISOString(), ended_at: new Date(t0 + 10000).toISOString(), duration_ms: 10000, estimated_cost_usd: 0.42, input_summary: 'Summarise the open tickets', output_summary: 'Three tickets need a reply', sdk_language: 'typescript', sdk_version: '0.1.0' }]);
  for (const c of [1, 2]) {
    const id = `exec-ui-child-${c}`;
    events.push(llmEvent(id, 1, t0 + 2000 + c));
    patches.push([id, { status: 'completed', parent_execution_id: tl, started_at: new Date(t0 + 2000 + c).toISOString(), duration_ms: 800 }]);
  }
  // An identical-call loop.
  const loop = 'exec-ui-loop';
  for (let s = 1; s <= 3; s++) events.push(llmEvent(loop, s, t0 + 30000 + s * 100, { model: 'gpt-4o', msg: 'Is the export finished yet?' }));
  patches.push([loop, { status: 'completed', started_at: new Date(t0 + 30000).toISOString(), duration_ms: 900 }]);
  const r = await api.ok('POST', '/events', events);
  assert.equal(r.accepted, events.length, JSON.stringify(r.errors));
  for (const [id, body] of patches) await api.ok('PATCH', '/executions/' + id, body);
  // One execution still running.
  await api.ok('POST', '/executions', { execution_id: 'exec-ui-running', status: 'started', sdk_language: 'python' });
  await api.ok('POST', '/events', [llmEvent('exec-ui-running', 1, now - 2000), llmEvent('exec-ui-running', 2, now - 1000)]);
  seeded.total = 60 + 5;
  seeded.lastDay += 5;
}

// Runs a page through `body`, takes the screenshot and asserts the page stayed clean.
const withPage = pageRunner(() => browser);
const rows = (page, sel) => page.locator(`${sel} tbody tr`);

describe('dashboard', () => {
  before(async () => {
    vigil = await startVigil();
    api = new Api(vigil.base);
    receiver = await startReceiver();
    await seed();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await receiver?.close();
    await vigil?.stop();
  });

  test('asks for the key once, keeps it in session storage, and shows the overview', TIMEOUT, async () => {
    await withPage('01-overview', async (page, p) => {
      await page.goto(vigil.base + '/ui/');
      await page.locator('#key-form').waitFor();
      assert.equal(await page.locator('#nav').isVisible(), false);
      await page.locator('#api-key').fill(DEV_KEY);
      await p.shot('00-key-form');
      await page.locator('#key-form button[type=submit]').click();
      await page.locator('h1', { hasText: 'Overview' }).waitFor();
      await page.locator('#stats .value').first().waitFor();
      assert.equal(await page.locator('#stats .stat').first().locator('.value').textContent(), String(seeded.total));
      assert.ok(!page.url().includes(DEV_KEY), 'the key is never in the URL');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('vigil.key')), DEV_KEY);
      // The plots: bars for executions, failures and cost, with at least one non-empty bucket.
      const heights = await page.locator('#chart-executions rect.bar-executions').evaluateAll((els) => els.map((e) => Number(e.getAttribute('height'))));
      assert.ok(heights.length >= 7 && heights.some((x) => x > 0), 'executions plotted');
      assert.ok((await page.locator('#chart-executions rect.bar-failures').count()) >= 7);
      assert.ok((await page.locator('#chart-cost rect.bar-cost_usd').count()) >= 7);
      await page.locator('#recent-groups', { hasText: 'c0ffee00c0ffee01' }).waitFor();
      await page.locator('#recent-crashes tbody tr').first().waitFor();
      await page.locator('#running', { hasText: 'exec-ui-running' }).waitFor();
      // 30 days, per day; then 24 hours per hour.
      await page.getByRole('button', { name: '24 hours' }).click();
      await page.locator('.sub', { hasText: 'per hour' }).waitFor();
      assert.ok((await page.locator('#chart-executions rect.bar-executions').count()) >= 24);
      // A reload keeps the key (session storage) and the view.
      await page.reload();
      await page.locator('h1', { hasText: 'Overview' }).waitFor();
      assert.equal(await page.locator('#key-form').count(), 0);
    });
  });

  test('lists executions with status and time filters and pages through them', TIMEOUT, async () => {
    await withPage('02-executions', async (page) => {
      await signIn(page, vigil.base);
      await page.locator('#nav a', { hasText: 'Executions' }).click();
      await page.locator('h1', { hasText: 'Executions' }).waitFor();
      await waitFor(async () => (await rows(page, '#executions-list').count()) === 50, { what: 'first page of 50' });
      await page.getByRole('button', { name: 'Older →' }).click();
      await waitFor(async () => page.url().includes('offset=50'), { what: 'second page URL' });
      await waitFor(async () => (await rows(page, '#executions-list').count()) === seeded.total - 50, { what: 'second page' });
      await page.getByRole('button', { name: '← Newer' }).click();
      await waitFor(async () => (await rows(page, '#executions-list').count()) === 50, { what: 'back to the first page' });

      await page.locator('#filter-status').selectOption('crashed');
      await page.locator('#filters button[type=submit]').click();
      await waitFor(async () => page.url().includes('status=crashed'), { what: 'status in URL' });
      await waitFor(async () => (await rows(page, '#executions-list').count()) === seeded.crashed, { what: 'crashed rows' });
      const badges = await page.locator('#executions-list tbody .badge.status-crashed').count();
      assert.equal(badges, seeded.crashed);

      // Started in the last 24 hours, any status.
      const d = new Date(Date.now() - 24 * 3600e3);
      const pad = (n) => String(n).padStart(2, '0');
      const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
      await page.locator('#filter-status').selectOption('');
      await page.locator('#filter-after').fill(local);
      await page.locator('#filters button[type=submit]').click();
      await waitFor(async () => page.url().includes('started_after='), { what: 'time filter in URL' });
      const expected = (await api.ok('GET', '/executions?limit=200&started_after=' + encodeURIComponent(new Date(local).toISOString()))).count;
      assert.ok(expected > 0 && expected < seeded.total);
      await waitFor(async () => (await rows(page, '#executions-list').count()) === expected, { what: 'time-filtered rows' });
    });
  });

  test('opens an execution: details, findings, timeline with payloads, parent and children', TIMEOUT, async () => {
    await withPage('03-execution', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/executions');
      await page.locator('#executions-list a', { hasText: 'exec-ui-timeline' }).click();
      await page.locator('h1', { hasText: 'exec-ui-timeline' }).waitFor();
      assert.ok(page.url().endsWith('/ui/executions/exec-ui-timeline'));
      await waitFor(async () => (await rows(page, '#timeline').count()) === 12, { what: '12 timeline rows' });
      const first = page.locator('#timeline tbody tr').first();
      const cells = await first.locator('td').allTextContents();
      assert.equal(cells[0], '1');
      assert.match(cells[2], /llm_call.*gpt-4o/);
      assert.equal(cells[4], '1,200 / 300');
      assert.equal(cells[5], '$0.0060'); // 1200 in × $2.50/M + 300 out × $10/M
      assert.equal(await first.locator('svg rect.wf-bar').count(), 1);
      await first.locator('summary').click();
      await first.locator('pre', { hasText: '"user_message"' }).waitFor();
      await page.locator('#timeline tbody tr', { hasText: 'send_email' }).locator('.type-failed').waitFor();
      await page.locator('#findings', { hasText: 'tool_failures' }).waitFor();
      await page.locator('#findings', { hasText: 'send_email' }).waitFor();
      await page.locator('.kv', { hasText: 'Summarise the open tickets' }).waitFor();
      assert.equal(await page.locator('#halt-button').isVisible(), false, 'no Halt on a finished run');
      await p.shot('03-execution-timeline');
      // Children, then back up to the parent.
      await page.locator('#children a', { hasText: 'exec-ui-child-1' }).click();
      await page.locator('h1', { hasText: 'exec-ui-child-1' }).waitFor();
      await page.locator('.kv a', { hasText: 'exec-ui-timeline' }).click();
      await page.locator('h1', { hasText: 'exec-ui-timeline' }).waitFor();
      await page.goBack();
      await page.locator('h1', { hasText: 'exec-ui-child-1' }).waitFor();
    });
  });

  test('an execution page shows its name, exception, halt reason, build identity and conversation as text', TIMEOUT, async () => {
    const t0 = Date.now() - 1800e3;
    const at = (ms) => new Date(t0 + ms).toISOString();
    const crash = 'exec-ui-cause';
    const digest = 'sha256:' + 'ab'.repeat(32);
    await api.ok('POST', '/executions', { execution_id: crash, name: 'billing-agent', started_at: at(0), code_version: 'v2.1.0-3-gdeadbee', container_digest: digest });
    const hostile = '<img src=x onerror="window.__pwned=1"> **not bold**';
    const ev = (seq, type, payload) => ({ event_id: `${crash}-${seq}`, execution_id: crash, event_type: type, sequence: seq, timestamp: at(seq * 100), payload });
    const r = await api.ok('POST', '/events', [
      ev(1, 'llm_call', { model: 'gpt-4o', system_prompt: 'You bill customers.', user_message: hostile, response_text: 'Looking up the customer.', status: 'ok', input_tokens: 1000, output_tokens: 50, cached_input_tokens: 800 }),
      ev(2, 'tool_call', { tool_name: 'lookup_customer', arguments: { args: ['cus_42'], kwargs: {} }, status: 'ok', result_text: '{"plan":"pro"}' }),
      ev(3, 'validator_result', { name: 'schema', passed: false, severity: 'error', message: 'missing field user_id' }),
      ev(4, 'exception', { exception_type: 'KeyError', exception_message: "'user_id'", frames: [{ file: '/app/agent.py', line: 12, function: 'run' }, { file: '/app/billing.py', line: 40, function: 'charge' }] }),
    ]);
    assert.equal(r.accepted, 4, JSON.stringify(r.errors));
    await api.ok('PATCH', `/executions/${crash}`, { status: 'crashed', crash_signature: 'c0ffee00c0ffee99', ended_at: at(1000) });
    await api.ok('POST', '/executions', { execution_id: `${crash}-child`, parent_execution_id: crash, name: 'sub-agent', started_at: at(200), status: 'completed' });
    await api.ok('POST', '/executions', { execution_id: `${crash}-grandchild`, parent_execution_id: `${crash}-child`, started_at: at(300), status: 'completed' });
    const halted = 'exec-ui-halted';
    await api.ok('POST', '/executions', { execution_id: halted, name: 'budgeted-agent', started_at: at(0) });
    await api.ok('PATCH', `/executions/${halted}`, { status: 'halted', crash_signature: 'halt:step_count', halt_reason: '6 LLM calls, over max_steps=5' });

    await withPage('03b-execution-cause', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/executions?name=billing-agent');
      await waitFor(async () => (await rows(page, '#executions-list').count()) === 1, { what: 'one execution named billing-agent' });
      await page.locator('#executions-list a', { hasText: crash }).click();
      await page.locator('h1', { hasText: crash }).waitFor();
      await page.locator('.page-head .sub', { hasText: 'billing-agent' }).waitFor();
      // The cause: type, message and frames, innermost last.
      await page.locator('#exception .cause-type', { hasText: 'KeyError' }).waitFor();
      assert.equal(await page.locator('#exception .cause-message').textContent(), "'user_id'");
      const frames = await page.locator('#exception .frames li').allTextContents();
      assert.deepEqual(frames, ['run /app/agent.py:12', 'charge /app/billing.py:40']);
      assert.equal(await page.locator('#code-version').textContent(), 'v2.1.0-3-gdeadbee');
      assert.equal(await page.locator('#container-digest').textContent(), digest);
      // The conversation, every part as text: the hostile prompt is shown, not rendered.
      const prompt = page.locator('#conversation .turn-llm_call .prompt pre');
      assert.equal(await prompt.textContent(), hostile);
      assert.equal(await page.locator('#conversation img').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      await page.locator('#conversation .turn-llm_call .response', { hasText: 'Looking up the customer.' }).waitFor();
      await page.locator('#conversation .turn-tool_call .args', { hasText: 'cus_42' }).waitFor();
      await page.locator('#conversation .turn-tool_call .result', { hasText: '{"plan":"pro"}' }).waitFor();
      await page.locator('#conversation .turn-validator_result', { hasText: 'missing field user_id' }).waitFor();
      await page.locator('#conversation .turn-exception', { hasText: "'user_id'" }).waitFor();
      // 800 of the 1,000 input tokens were cached: 200 × $2.50/M + 800 × $1.25/M + 50 × $10/M.
      const cost = await page.locator('#timeline tbody tr').first().locator('td').nth(5).textContent();
      assert.equal(cost, '$0.0020');
      // The child appears in the conversation where it started: after the first call, before the tool.
      const turns = await page.locator('#conversation .turn').evaluateAll((els) => els.map((e) => e.className));
      assert.deepEqual(turns.map((c) => c.replace('turn ', '')), ['turn-llm_call', 'turn-child', 'turn-tool_call', 'turn-validator_result', 'turn-exception']);
      await page.locator('#conversation .turn-child a', { hasText: `${crash}-child` }).waitFor();
      // Children nest under their parent, grandchildren under them once opened.
      await page.locator('#children summary', { hasText: `${crash}-child` }).click();
      await page.locator('#children .nested a', { hasText: `${crash}-grandchild` }).waitFor();
      await p.shot('03b-execution-cause-full');

      await page.goto(`${vigil.base}/ui/executions/${halted}`);
      await page.locator('h1', { hasText: halted }).waitFor();
      await page.locator('#halt-reason', { hasText: '6 LLM calls, over max_steps=5' }).waitFor();
      await page.locator('.kv', { hasText: 'Halt reason' }).waitFor();
      assert.equal(await page.locator('#exception').count(), 0);
    });
  });

  test('opens a failure group with its numbers, playbook and executions', TIMEOUT, async () => {
    await withPage('04-failure-group', async (page) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/failure-groups');
      await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee01' }).click();
      await page.locator('h1', { hasText: 'c0ffee00c0ffee01' }).waitFor();
      await page.locator('#playbook h2').first().waitFor();
      assert.match(await page.locator('#playbook').textContent(), /What to try first/);
      assert.ok((await page.locator('#playbook ol li').count()) >= 2, 'the playbook list is rendered');
      await waitFor(async () => (await rows(page, '#group-executions').count()) === seeded.crashed / 2, { what: 'group executions' });
      const stats = await page.locator('.stats .value').allTextContents();
      assert.equal(stats[0], String(seeded.crashed / 2));
      assert.match(stats[1], /^\$\d/);
    });
  });

  test('webhook and billing links (docs/api.md#webhook-messages) land on the right views', TIMEOUT, async () => {
    const msg = await waitFor(() => receiver.messages.find((m) => m.event === 'failure_group.created' && m.signature === 'c0ffee00c0ffee02'), { what: 'webhook message for the crash group' });
    assert.equal(msg.dashboard_url, vigil.base + '/ui');
    assert.ok(msg.playbook_url.startsWith(vigil.base + '/ui/playbooks?'), msg.playbook_url);
    await withPage('05-links', async (page) => {
      // The key is asked for on the deep link itself; the view follows.
      await signIn(page, vigil.base, DEV_KEY, new URL(`${msg.dashboard_url}/failure-groups/${msg.group_id}`).pathname);
      await page.locator('h1', { hasText: 'c0ffee00c0ffee02' }).waitFor();
      await page.goto(msg.playbook_url);
      await page.locator('#playbook h2').first().waitFor();
      assert.match(await page.locator('.sub').textContent(), /crashes · c0ffee00c0ffee02/);
      await page.goto(`${msg.dashboard_url}/executions/${encodeURIComponent(msg.sample_execution_id)}`);
      await page.locator('h1', { hasText: msg.sample_execution_id }).waitFor();
      await page.goto(`${msg.dashboard_url}/billing?status=canceled`);
      await page.locator('h1', { hasText: 'Billing' }).waitFor();
      // This server has no Stripe: the billing view says so instead of a checkout outcome.
      await page.locator('.notice', { hasText: 'Billing not configured' }).waitFor();
    });
  });

  test('mints a key (shown once) and revokes it', TIMEOUT, async () => {
    await withPage('06-keys', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/keys');
      await page.locator('h1', { hasText: 'API keys' }).waitFor();
      await page.locator('#keys-list .badge', { hasText: 'this browser' }).waitFor();
      await page.locator('#key-name').fill('ui-test-key');
      await page.locator('#mint-form button[type=submit]').click();
      const raw = (await page.locator('#raw-key').textContent()).trim();
      assert.match(raw, /^vigil_sk_/);
      assert.equal((await api.get('/project', { key: raw })).status, 200, 'the minted key works');
      const row = page.locator('#keys-list tbody tr', { hasText: 'ui-test-key' });
      await row.waitFor();
      await p.shot('06-keys-minted');
      await row.getByRole('button', { name: 'Revoke' }).click();
      await row.getByRole('button', { name: 'Confirm revoke' }).click();
      await page.locator('.notice.ok', { hasText: 'Revoked ui-test-key' }).waitFor();
      await waitFor(async () => (await page.locator('#keys-list tbody tr', { hasText: 'ui-test-key' }).count()) === 0, { what: 'row removed' });
      assert.equal((await api.get('/project', { key: raw })).status, 401, 'the revoked key is refused');
    });
  });

  test('creates a webhook, sends a test message, reads its deliveries, deletes it', TIMEOUT, async () => {
    await withPage('07-webhooks', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/webhooks');
      await page.locator('#webhook-url').fill(receiver.url);
      await page.locator('#webhook-name').fill('from the dashboard');
      await page.locator('#webhook-form label', { hasText: 'crashes' }).locator('input').check();
      await page.locator('#webhook-form button[type=submit]').click();
      assert.match(await page.locator('#webhook-secret-value').textContent(), /^whsec_/);
      const row = page.locator('#webhooks-list tbody tr', { hasText: 'from the dashboard' });
      await row.waitFor();
      assert.match(await row.textContent(), /crashes/);
      const before = receiver.messages.filter((m) => m.event === 'failure_group.test').length;
      await row.getByRole('button', { name: 'Send test' }).click();
      await page.locator('.notice.ok', { hasText: 'Test message delivered' }).waitFor();
      await page.locator('#deliveries tbody tr', { hasText: 'delivered' }).first().waitFor();
      assert.equal(receiver.messages.filter((m) => m.event === 'failure_group.test').length, before + 1);
      await p.shot('07-webhooks-deliveries');
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.getByRole('button', { name: 'Confirm delete' }).click();
      await page.locator('.notice.ok', { hasText: 'Webhook deleted' }).waitFor();
      await waitFor(async () => (await page.locator('#webhooks-list tbody tr', { hasText: 'from the dashboard' }).count()) === 0, { what: 'webhook row removed' });
    });
  });

  test('edits the detection policy', TIMEOUT, async () => {
    await withPage('08-policy', async (page) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/policy');
      const steps = page.locator('#policy-step_count-max_steps');
      assert.equal(await steps.inputValue(), '50');
      await steps.fill('77');
      await page.locator('#policy-auto_halt-loops').check();
      await page.locator('#policy-form button[type=submit]').click();
      await page.locator('.notice.ok', { hasText: 'Policy saved' }).waitFor();
      const policy = (await api.ok('GET', '/policy')).policy;
      assert.equal(policy.step_count.max_steps, 77);
      assert.equal(policy.auto_halt.loops, true);
      await page.locator('#policy-reset').click();
      await page.locator('.notice.ok', { hasText: 'Reset to the vigil preset' }).waitFor();
      assert.equal(await page.locator('#policy-step_count-max_steps').inputValue(), '50');
      assert.equal((await api.ok('GET', '/policy')).policy.step_count.max_steps, 50);
    });
  });

  test('audit log and billing views show the project\'s own records', TIMEOUT, async () => {
    assert.equal((await api.get('/audit-log')).status, 200);
    assert.equal((await api.get('/billing')).status, 200);
    await withPage('09-audit-billing', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/audit-log');
      await page.locator('h1', { hasText: 'Audit log' }).waitFor();
      // Earlier tests minted and revoked a key from this browser: both are in the log.
      await page.locator('#audit-list tbody tr', { hasText: 'api_key.create' }).first().waitFor();
      await page.locator('#audit-list tbody tr', { hasText: 'api_key.revoke' }).first().waitFor();
      await page.locator('#audit-action').fill('api_key.revoke');
      await page.locator('#audit-action').press('Enter');
      await waitFor(async () => (await page.locator('#audit-list tbody tr').count()) > 0 &&
        (await page.locator('#audit-list tbody tr', { hasText: 'api_key.create' }).count()) === 0,
      { what: 'action filter applied' });
      await p.shot('09-audit-log');
      // API requests (this page's own polling among them) are hidden until asked for.
      await page.locator('#audit-action').fill('');
      await page.locator('#audit-action').press('Enter');
      await page.locator('#audit-list tbody tr', { hasText: 'api_key.create' }).first().waitFor();
      assert.equal(await page.locator('#audit-list td .mono', { hasText: /^request$/ }).count(), 0);
      await page.locator('#audit-requests').check();
      await page.locator('#audit-action').press('Enter');
      await page.locator('#audit-list td .mono', { hasText: /^request$/ }).first().waitFor();
      // This server has no Stripe settings: no tier, allowance or overage figures.
      await page.locator('#nav a', { hasText: 'Billing' }).click();
      await page.locator('h1', { hasText: 'Billing' }).waitFor();
      await page.locator('.notice', { hasText: 'Billing not configured' }).waitFor();
      assert.equal(await page.locator('.stat', { hasText: 'Tier' }).count(), 0);
      assert.equal(await page.locator('dt', { hasText: 'Overage' }).count(), 0);
      await page.locator('#billing-usage .stat', { hasText: 'Executions this period' }).waitFor();
    });
  });

  test('a running execution updates live: new events and its end appear without a reload', TIMEOUT, async () => {
    await withPage('10-live', async (page) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/executions/exec-ui-running');
      await page.locator('h1', { hasText: 'exec-ui-running' }).waitFor();
      await waitFor(async () => (await rows(page, '#timeline').count()) === 2, { what: 'two events' });
      assert.equal(await page.locator('#halt-button').isVisible(), true);
      const now = Date.now();
      await api.ok('POST', '/events', [3, 4, 5].map((s) => llmEvent('exec-ui-running', s, now + s)));
      await waitFor(async () => (await rows(page, '#timeline').count()) === 5, { what: 'five events, live', timeout: 15000 });
      await api.ok('PATCH', '/executions/exec-ui-running', { status: 'completed' });
      await page.locator('.page-head .badge.status-completed').waitFor({ timeout: 15000 });
      await waitFor(async () => !(await page.locator('#halt-button').isVisible()), { what: 'Halt hidden once finished' });
    });
  });

  test('Halt on a running execution stops the agent run through the Python SDK', TIMEOUT, async () => {
    const agent = spawn(process.env.VIGIL_PYTHON || 'python3', [path.join(ROOT, 'tests', 'ui', 'halt_agent.py')], {
      env: { ...process.env, PYTHONPATH: path.join(ROOT, 'sdk', 'python'), VIGIL_API_KEY: DEV_KEY, VIGIL_BASE_URL: vigil.base },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    agent.stdout.on('data', (d) => { out += d; });
    agent.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => agent.once('exit', r));
    try {
      const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const { execution_id: id } = await waitFor(() => lines().find((l) => l.execution_id), { what: 'the agent to start: ' + err });
      await waitFor(async () => (await api.get('/executions/' + id)).status === 200, { what: 'the execution to be stored' });
      await withPage('11-halt-sdk', async (page, p) => {
        await signIn(page, vigil.base, DEV_KEY, '/ui/executions/' + id);
        await page.locator('#halt-button').waitFor({ state: 'visible' });
        await p.shot('11-halt-sdk-running');
        await page.locator('#halt-button').click();
        await page.locator('#halt-status .notice.ok').waitFor();
        const ended = await waitFor(() => lines().find((l) => 'halted' in l), { what: 'the SDK to report the halt: ' + err });
        assert.deepEqual(ended, { halted: true, trigger: 'remote_signal', reason: 'halted from the Vigil dashboard' });
        // The SDK reports the halted status; the open page shows it without a reload.
        await page.locator('.page-head .badge.status-halted').waitFor({ timeout: 20000 });
      });
      assert.equal(await exited, 0, err);
    } finally {
      if (agent.exitCode === null) agent.kill();
    }
  });

  test('Halt reaches a raw SSE client on GET /executions/{id}/halt-stream', TIMEOUT, async () => {
    const id = 'exec-ui-sse';
    await api.ok('POST', '/executions', { execution_id: id, status: 'started' });
    const controller = new AbortController();
    const res = await fetch(`${vigil.base}/executions/${id}/halt-stream`, { headers: { Authorization: 'Bearer ' + DEV_KEY }, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let text = '';
    const readUntil = async (re) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return re.test(text);
    };
    try {
      assert.ok(await readUntil(/: subscribed execution=exec-ui-sse/));
      await withPage('12-halt-sse', async (page) => {
        await signIn(page, vigil.base, DEV_KEY, '/ui/executions/' + id);
        await page.locator('#halt-button').click();
        await page.locator('#halt-status .notice.ok', { hasText: '1 SDK halt stream notified' }).waitFor();
      });
      assert.ok(await readUntil(/event: halt\ndata: \{"reason":"halted from the Vigil dashboard"\}\n\n/), text);
    } finally {
      controller.abort();
    }
  });

  test('a failure group is resolved, muted and reopened from its page, and the list filters by state', TIMEOUT, async () => {
    await withPage('15-group-lifecycle', async (page, p) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/failure-groups');
      await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee01' }).click();
      await page.locator('#group-state', { hasText: 'open' }).waitFor();
      await page.locator('#group-resolve').click();
      await page.locator('#group-state', { hasText: 'resolved' }).waitFor();
      await p.shot('15-group-resolved');
      // The list shows open groups first; the filter finds the resolved one.
      await page.goto(vigil.base + '/ui/failure-groups');
      await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee02' }).waitFor();
      assert.equal(await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee01' }).count(), 0);
      await page.locator('#filter-state').selectOption('resolved');
      await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee01' }).waitFor();
      assert.equal(await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee02' }).count(), 0);
      assert.match(page.url(), /state=resolved/);
      await page.locator('#groups-list a', { hasText: 'c0ffee00c0ffee01' }).click();
      await page.locator('#group-mute').click();
      await page.locator('#group-state', { hasText: 'muted' }).waitFor();
      await page.locator('#group-reopen').click();
      await page.locator('#group-state', { hasText: 'open' }).waitFor();
      const moves = (await api.ok('GET', '/audit-log?limit=50')).entries
        .filter((e) => e.action.startsWith('failure_group.')).map((e) => e.action);
      for (const action of ['failure_group.resolve', 'failure_group.mute', 'failure_group.reopen']) {
        assert.ok(moves.includes(action), `${action} in ${moves}`);
      }
    });
  });

  test('every view works with an empty project', TIMEOUT, async () => {
    const signup = await api.post('/signup', { email: 'empty@example.com', project_name: 'Empty project' }, { key: '' });
    assert.equal(signup.status, 201, signup.text);
    const key = signup.json.api_key;
    await withPage('13-empty-overview', async (page, p) => {
      await signIn(page, vigil.base, key);
      await page.locator('h1', { hasText: 'Overview' }).waitFor();
      await page.locator('#running .empty').waitFor();
      await page.locator('#recent-groups .empty').waitFor();
      await page.locator('#chart-executions text.nodata').waitFor();
      const views = [
        ['/ui/executions', 'Executions', '#executions-list .empty'],
        ['/ui/failure-groups', 'Failure groups', '#groups-list .empty'],
        ['/ui/keys', 'API keys', '#keys-list tbody tr'],
        ['/ui/webhooks', 'Webhooks', '#webhooks-list .empty'],
        ['/ui/policy', 'Detection policy', '#policy-form'],
        ['/ui/audit-log', 'Audit log', 'h1'],
        ['/ui/billing', 'Billing', 'h1'],
        ['/ui/playbooks?class=loops&signature=step_count_50%2B', 'Playbook', '#playbook h2'],
      ];
      for (const [url, title, marker] of views) {
        await page.locator('#nav').waitFor();
        await page.goto(vigil.base + url);
        await page.locator('h1', { hasText: title }).waitFor();
        await page.locator(marker).first().waitFor();
        assert.equal(await page.locator('.notice.error').count(), 0, url);
        if (url === '/ui/executions') await p.shot('13-empty-executions');
      }
      await page.goto(vigil.base + '/ui/');
      await page.locator('#stats .value').first().waitFor();
      assert.deepEqual(await page.locator('#stats .value').allTextContents(), ['0', '0', '0', '0']);
      // The first-execution snippets run as shown (with the key pasted in) and fill the project.
      await page.locator('#first-execution').waitFor();
      await p.shot('13-first-execution');
      const snippets = {};
      for (const lang of ['python', 'typescript', 'curl']) {
        snippets[lang] = (await page.locator('#first-' + lang).textContent()).replaceAll('paste your API key here', key);
        assert.ok(snippets[lang].includes(vigil.base), lang);
      }
      await runSnippet(snippets.python);
      await runSnippet(snippets.curl);
      // Without `npm ci`, which would reinstall the SDK's installed dependencies from the network.
      await runSnippet(snippets.typescript.replace('npm ci && npm run build', 'npm run build'));
      await waitFor(async () => (await api.get('/executions', { key })).json?.executions?.length === 3, { what: 'three executions from the snippets' });
      await page.reload();
      await waitFor(async () => (await page.locator('#stats .value').first().textContent()) === '3', { what: 'the overview counting them' });
      assert.equal(await page.locator('#first-execution').count(), 0);
      assert.deepEqual(await page.locator('#stats .value').allTextContents(), ['3', '3', '0', '0']);
    });
  });

  test('agent text is shown as text, never as HTML or Markdown', TIMEOUT, async () => {
    const hostile = '<img src=x onerror="document.title=\'owned\'"> **bold** [link](https://example.com)';
    await api.ok('POST', '/executions', { execution_id: 'exec-ui-hostile', input_summary: hostile, output_summary: hostile });
    await api.ok('POST', '/events', [{ event_id: 'hostile-1', execution_id: 'exec-ui-hostile', event_type: 'checkpoint', sequence: 1, payload: { name: hostile } }]);
    await withPage('15-hostile-text', async (page) => {
      await signIn(page, vigil.base, DEV_KEY, '/ui/executions/exec-ui-hostile');
      await page.locator('h1', { hasText: 'exec-ui-hostile' }).waitFor();
      await page.locator('details.payload summary').first().click();
      await waitFor(async () => (await page.locator('#main', { hasText: hostile }).count()) > 0, { what: 'the text, verbatim' });
      assert.equal(await page.locator('#main img').count(), 0);
      assert.equal(await page.locator('#main strong').count(), 0);
      assert.equal(await page.locator('#main a[href="https://example.com"]').count(), 0);
      assert.notEqual(await page.title(), 'owned');
    });
  });

  test('the timeline prices a bare gpt-5 call as GPT-5 and leaves a gpt-5.x call unpriced', TIMEOUT, async () => {
    // The page prices calls with the server's table, whose "gpt-5" row is exact-only: as a prefix it
    // would also price gpt-5.4, which OpenAI prices differently (docs/detection.md#price-table).
    const id = 'exec-ui-gpt5';
    const call = (seq, model) => ({ event_id: `${id}-${seq}`, execution_id: id, event_type: 'llm_call', sequence: seq, payload: { model, status: 'ok', input_tokens: 2000, output_tokens: 100 } });
    await api.ok('POST', '/executions', { execution_id: id });
    const r = await api.ok('POST', '/events', [call(1, 'gpt-5'), call(2, 'gpt-5.4'), call(3, 'gpt-5-2025-08-07')]);
    assert.equal(r.accepted, 3, JSON.stringify(r.errors));
    await withPage('16-gpt5-prices', async (page) => {
      await signIn(page, vigil.base, DEV_KEY, `/ui/executions/${id}`);
      await waitFor(async () => (await rows(page, '#timeline').count()) === 3, { what: '3 timeline rows' });
      const costs = await page.locator('#timeline tbody tr td:nth-child(6)').allTextContents();
      // 2,000 in × $1.25/M + 100 out × $10/M.
      assert.deepEqual(costs, ['$0.0035', '—', '$0.0035']);
    });
  });

  test('a refused key brings back the key form with a plain message', TIMEOUT, async () => {
    // The refusal itself is a 401 the browser reports; nothing else may go wrong.
    const allow = (x) => /\b401\b/.test(x) && x.includes('/project');
    await withPage('14-refused-key', async (page) => {
      await page.goto(vigil.base + '/ui/executions');
      await page.locator('#api-key').fill('vigil_sk_not_a_real_key_000000000000');
      await page.locator('#key-form button[type=submit]').click();
      await page.locator('.notice.error', { hasText: 'This key was refused' }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('vigil.key')), null);
    }, { allow });
  });
});
