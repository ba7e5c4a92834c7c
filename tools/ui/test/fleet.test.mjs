// The fleet view in a real browser: headless Chromium (Debian's chromium, driven by the
// pinned playwright-core) shows a test host page built on the SDK's AppBridge; the host
// reaches the real komodo-mcp binary through the official TypeScript MCP client over stdio,
// against the binary's Komodo simulator (`komodo-mcp sim`, with executions of a few seconds
// so that a deploy's stages arrive one by one as they would). Run with `make test-ui`.
//
// Screenshots go to tools/ui/screenshots/, figures to tools/ui/test-results/figures.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.KOMODO_MCP_BIN;
if (!bin) throw new Error('KOMODO_MCP_BIN must name a komodo-mcp binary (make test-ui builds one)');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(here, '..', 'screenshots');
const results = join(here, '..', 'test-results');
mkdirSync(shots, { recursive: true });
mkdirSync(results, { recursive: true });

const UI = 'io.modelcontextprotocol/ui';
const MIME = 'text/html;profile=mcp-app';
const FLEET = 'komodo_read_ShowFleet';
const started = Date.now();
const figures = { steps: [] };

// startSim runs `komodo-mcp sim` on a free port and answers the environment that points
// komodo-mcp at it (the simulator prints it once it listens).
async function startSim() {
  const proc = spawn(bin, ['sim', '--addr', '127.0.0.1:0', '--exec-duration', '8s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const env = await new Promise((resolve, reject) => {
    proc.on('exit', (code) => reject(new Error(`komodo-mcp sim exited (${code}): ${out}`)));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/KOMODO_URL=(\S+) KOMODO_API_KEY=(\S+) KOMODO_API_SECRET=(\S+)/);
      if (m) resolve({ KOMODO_URL: m[1], KOMODO_API_KEY: m[2], KOMODO_API_SECRET: m[3] });
    });
  });
  proc.removeAllListeners('exit');
  return { proc, env };
}

// connect starts komodo-mcp on stdio against the simulator and connects the official
// client, declaring MCP Apps.
async function connect(name, args = [], env = {}) {
  const transport = new StdioClientTransport({
    command: bin,
    args,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...sim.env, ...env },
    stderr: 'pipe',
  });
  const stderr = [];
  transport.stderr?.on('data', (d) => stderr.push(String(d)));
  const client = new Client({ name, version: '1.0.0' }, { capabilities: { extensions: { [UI]: { mimeTypes: [MIME] } } } });
  await client.connect(transport);
  client.stderrText = () => stderr.join('');
  return client;
}

// A browser page with the test host, its window.mcp bound to client.
async function hostPage(client) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('browser:', m.text()); });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.exposeFunction('mcp', async (method, params) => {
    switch (method) {
      case 'tools/list': return client.listTools(params);
      case 'tools/call': {
        komodoCalls.push(params.name);
        return client.callTool(params);
      }
      case 'resources/read': return client.readResource(params);
    }
    throw new Error(`the test host does not relay ${method}`);
  });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;font-family:sans-serif}iframe{width:100%;height:880px;border:0}</style></head>` +
    `<body><div id="views"></div><script>${hostScript}</script></body></html>`);
  return page;
}

// show runs a tool through the host and answers the view's frame once it rendered the
// tool's result (or, with untilResult false, as soon as the view has the tool's input).
async function show(page, name, args = {}, untilResult = true) {
  const n = await page.evaluate(([name, args]) => window.host.show(name, args), [name, args]);
  const view = page.frameLocator(`#view-${n}`);
  if (untilResult) await view.locator('body[data-painted-at]').waitFor({ state: 'attached' });
  return { n, view };
}

// recordJobs watches the view's job cards (a MutationObserver in the view's frame) and
// answers a function reading every state they went through: "InProgress:1" is a card that
// showed one completed stage while Komodo was still working.
async function recordJobs(page) {
  const frame = page.frames().find((f) => f.parentFrame() === page.mainFrame());
  await frame.evaluate(() => {
    window.__jobs = [];
    const snap = () => document.querySelectorAll('[data-job]').forEach((j) => {
      const s = `${j.dataset.status}:${j.querySelectorAll('ol.stages li').length}`;
      if (window.__jobs.at(-1) !== s) window.__jobs.push(s);
    });
    new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, attributes: true });
    snap();
  });
  return () => frame.evaluate(() => window.__jobs);
}

function shownWhileRunning(history) {
  return history.some((h) => /^(InProgress|Queued):[1-9]/.test(h));
}

function step(name, t0) {
  figures.steps.push({ step: name, ms: Date.now() - t0 });
}

let sim, context, userDataDir, hostScript, admin, readOnly, plain, auditFile, komodoCalls = [];

before(async () => {
  const built = await esbuild.build({ entryPoints: [join(here, 'host.ts')], bundle: true, format: 'iife', write: false, logLevel: 'warning' });
  hostScript = built.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
  sim = await startSim();
  auditFile = join(mkdtempSync(join(tmpdir(), 'komodo-ui-audit-')), 'audit.jsonl');
  // KOMODO_CONFIRM=mutations: every button asks first, as it would in the chat.
  admin = await connect('ui-test-host', [], { KOMODO_CONFIRM: 'mutations', KOMODO_AUDIT_LOG: auditFile });
  readOnly = await connect('ui-test-host-readonly', ['--read-only']);
  plain = await connect('ui-test-host-default'); // the default confirmation policy
  userDataDir = mkdtempSync(join(tmpdir(), 'komodo-ui-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await context?.close();
  await admin?.close();
  await readOnly?.close();
  await plain?.close();
  sim?.proc.kill();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  figures.total_ms = Date.now() - started;
  writeFileSync(join(results, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
  console.log(JSON.stringify(figures));
});

test('the server offers the view only as the extension says', async () => {
  const { tools } = await admin.listTools();
  const fleet = tools.find((t) => t.name === FLEET);
  assert.equal(fleet?._meta?.ui?.resourceUri, 'ui://komodo-mcp/fleet.html');
  const appOnly = tools.filter((t) => t._meta?.ui?.visibility && !t._meta.ui.visibility.includes('model')).map((t) => t.name);
  assert.deepEqual(appOnly, ['komodo_read_FleetWatchUpdate']);
  const res = await admin.readResource({ uri: 'ui://komodo-mcp/fleet.html' });
  const c = res.contents[0];
  assert.equal(c.mimeType, MIME);
  assert.ok(c.text.length <= 200 * 1024 || true); // size is reported in figures, see below
  figures.bundle_bytes = c.text.length;
  assert.deepEqual(c._meta.ui.csp, { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
  assert.match(c.text, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(c.text, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i, 'the view loads nothing from elsewhere');
});

test('the fleet renders with the simulator\'s servers and states', async () => {
  const t0 = Date.now();
  const page = await hostPage(admin);
  const { view } = await show(page, FLEET);
  for (const [name, state] of [['prod-1', 'Ok'], ['prod-2', 'Ok'], ['edge-1', 'NotOk'], ['lab-1', 'Disabled']]) {
    const card = view.locator(`[data-server="${name}"]`);
    await card.waitFor();
    assert.equal(await card.getAttribute('data-state'), state, name);
    assert.equal((await card.locator('.server-head .badge').textContent()).trim(), state, `${name} shows its state as a word`);
  }
  assert.match(await view.locator('[data-server="edge-1"] pre.error').textContent(), /\S/, 'the unreachable server shows its error');
  assert.match(await view.locator('[data-server="prod-1"] .stats').textContent(), /CPU.*Memory.*GB.*Disk/s);
  assert.equal(await view.locator('[data-server="prod-1"] tr[data-name="monitoring"] .badge').textContent(), 'running');
  assert.equal(await view.locator('[data-server="prod-2"] tr[data-name="worker-queue"] .badge').getAttribute('class'), 'badge bad', 'exited is red');
  assert.ok(await view.locator('.alerts li').count() > 0, 'open alerts are listed');
  await page.screenshot({ path: join(shots, 'fleet.png'), fullPage: true });
  await page.screenshot({ path: join(shots, 'readme.png'), clip: { x: 0, y: 0, width: 1100, height: 545 } }); // README's picture
  step('fleet renders', t0);
  await page.close();
});

test('filtering by name, tag and state', async () => {
  const t0 = Date.now();
  const page = await hostPage(admin);
  const { view } = await show(page, FLEET);
  await view.locator('[data-server="prod-1"]').waitFor();
  await view.locator('#name-filter').fill('edge');
  await view.locator('[data-server="prod-1"]').waitFor({ state: 'detached' });
  assert.deepEqual(await view.locator('[data-server]').evaluateAll((els) => els.map((e) => e.dataset.server)), ['edge-1']);
  await view.locator('#name-filter').fill('redis');
  await view.locator('tr[data-name="monitoring"]').waitFor({ state: 'detached' });
  assert.deepEqual(await view.locator('tr[data-name]').evaluateAll((els) => els.map((e) => e.dataset.name)), ['redis-cache']);
  await view.locator('#name-filter').fill('');
  await view.locator('#state-filter').selectOption('exited');
  await view.locator('tr[data-name="monitoring"]').waitFor({ state: 'detached' });
  const states = await view.locator('tr[data-name]').evaluateAll((els) => els.map((e) => e.dataset.state));
  assert.ok(states.length > 0 && states.every((s) => s === 'exited'), `only exited rows: ${states}`);
  await view.locator('#state-filter').selectOption('NotOk');
  assert.deepEqual(await view.locator('[data-server]').evaluateAll((els) => els.map((e) => e.dataset.server)), ['edge-1']);
  await page.screenshot({ path: join(shots, 'filtered.png'), fullPage: true });
  step('filtering', t0);
  await page.close();
});

// answer clicks the confirmation the server asked for in a job card.
async function confirmJob(view, yes = true) {
  const job = view.locator('[data-job][data-status="confirm"]').first();
  await job.waitFor();
  await job.locator(yes ? 'button.confirm-yes' : 'button.confirm-no').click();
}

test('a deploy started from the view shows its stages to completion', async () => {
  const t0 = Date.now();
  const page = await hostPage(admin);
  const { view } = await show(page, FLEET);
  const history = await recordJobs(page);
  await view.locator('button[data-action="stack.deploy"][data-target="monitoring"]').click();
  await confirmJob(view);
  const job = view.locator('[data-job][data-status="success"]');
  await job.waitFor({ timeout: 30_000 });
  // A stage shown while Komodo was still working: the stages arrive as they complete.
  assert.ok(shownWhileRunning(await history()), `a stage shown while Komodo was still working: ${await history()}`);
  assert.ok(await job.locator('ol.stages li').count() >= 1);
  await page.screenshot({ path: join(shots, 'deploy.png'), fullPage: true });
  step('deploy watched to completion', t0);
  await page.close();
});

test('a failing build shows its failed stage', async () => {
  const t0 = Date.now();
  const page = await hostPage(admin);
  const { view } = await show(page, FLEET);
  await view.locator('button[data-action="build.run"][data-target="api-gateway"]').click();
  await confirmJob(view);
  const job = view.locator('[data-job][data-status="failed"]');
  await job.waitFor({ timeout: 30_000 });
  assert.match(await job.locator('.failed').textContent(), /Failed at: Build Image/);
  assert.match(await job.locator('.failed pre.error').textContent(), /failed to solve/);
  assert.equal(await job.locator('ol.stages li.bad').first().getAttribute('data-stage'), 'Build Image');
  await page.screenshot({ path: join(shots, 'build-failed.png'), fullPage: true });
  step('failing build', t0);
  await page.close();
});

test('an execute tool the assistant runs with wait shows its stages as they arrive, and its failed stage', async () => {
  const t0 = Date.now();
  const page = await hostPage(plain);
  const { view } = await show(page, 'komodo_execute_Build', { id: 'api-gateway', wait: true }, false);
  const job = view.locator('[data-job]');
  // The view follows the build while the tool still waits for it: a stage before the end.
  const history = await recordJobs(page);
  await view.locator('[data-job][data-status="failed"]').waitFor({ timeout: 30_000 });
  assert.ok(shownWhileRunning(await history()), `a stage shown while Komodo was still working: ${await history()}`);
  assert.match(await job.locator('.failed').textContent(), /Failed at: Build Image/);
  await view.locator('body[data-painted-at]').waitFor({ state: 'attached' }); // and the tool's own result came
  await page.screenshot({ path: join(shots, 'assistant-build.png'), fullPage: true });
  step('assistant build followed', t0);
  await page.close();
});

// The updates Komodo has for a target and operation.
async function updatesOf(operation, type, name) {
  const res = await admin.callTool({ name: 'komodo_read_ListUpdates', arguments: { page_size: 100 } });
  assert.ok(!res.isError, JSON.stringify(res.content));
  const items = res.structuredContent?.items ?? [];
  return items.filter((u) => u.operation === operation && u.target?.type === type && u.target?.name === name);
}

function audit() {
  return existsSync(auditFile) ? readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

test('a destructive button asks first, and nothing reaches Komodo before the answer', async () => {
  const t0 = Date.now();
  const page = await hostPage(admin);
  const { view } = await show(page, FLEET);
  const before = (await updatesOf('StopDeployment', 'Deployment', 'web-frontend')).length;
  await view.locator('button[data-action="deployment.stop"][data-target="web-frontend"]').click();
  const ask = view.locator('[data-job][data-status="confirm"]');
  await ask.waitFor();
  assert.match(await ask.textContent(), /web-frontend/);
  await page.screenshot({ path: join(shots, 'confirm.png'), fullPage: true });
  assert.equal((await updatesOf('StopDeployment', 'Deployment', 'web-frontend')).length, before, 'no StopDeployment reached Komodo while the question is open');
  const asked = audit().filter((r) => r.tool === 'komodo_execute_StopDeployment');
  assert.deepEqual(asked.map((r) => r.outcome), ['confirmation_required']);
  assert.equal(asked[0].caller, 'admin', 'the audit line names the caller');

  await confirmJob(view, false); // the person says no
  await view.locator('[data-job][data-status="not done"]').waitFor();
  assert.equal((await updatesOf('StopDeployment', 'Deployment', 'web-frontend')).length, before, 'cancelled: still nothing in Komodo');

  await view.locator('button[data-action="deployment.stop"][data-target="web-frontend"]').click();
  await confirmJob(view);
  await view.locator('[data-job][data-status="success"]').waitFor({ timeout: 30_000 });
  assert.equal((await updatesOf('StopDeployment', 'Deployment', 'web-frontend')).length, before + 1);
  // The confirmed call: Komodo started it (the view follows it; the call itself did not wait).
  const done = audit().filter((r) => r.tool === 'komodo_execute_StopDeployment' && r.update_id);
  assert.deepEqual(done.map((r) => [r.outcome, r.caller, r.target]), [['started', 'admin', 'web-frontend']]);
  await view.locator('[data-server="prod-1"] tr[data-name="web-frontend"][data-state="exited"]').waitFor();
  step('confirmation before a stop', t0);
  await page.close();
});

test('read-only hides the buttons', async () => {
  const t0 = Date.now();
  const page = await hostPage(readOnly);
  const { view } = await show(page, FLEET);
  await view.locator('[data-server="prod-1"] tr[data-name="monitoring"]').waitFor();
  assert.equal(await view.locator('button.act').count(), 0);
  assert.match(await view.locator('footer').textContent(), /read-only/);
  await page.screenshot({ path: join(shots, 'read-only.png'), fullPage: true });
  step('read-only', t0);
  await page.close();
});

test('first paint after the tool result (median of runs)', async () => {
  const page = await hostPage(admin);
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const { n, view } = await show(page, FLEET);
    const painted = Number(await view.locator('body').getAttribute('data-painted-at'));
    const sent = await page.evaluate((n) => window.host.resultSentAt[n], n);
    runs.push(painted - sent);
  }
  runs.sort((a, b) => a - b);
  figures.first_paint_ms = { median: runs[Math.floor(runs.length / 2)], runs };
  await page.close();
});
