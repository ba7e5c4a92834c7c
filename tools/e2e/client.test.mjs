// End-to-end tests of komodo-mcp through the official TypeScript MCP client, the one
// Claude Desktop, Claude Code and most IDE clients are built on. Unlike the Go client, it
// validates structuredContent against each tool's outputSchema with Ajv and rejects a
// mismatch with -32602: these tests speak for Claude.
//
// Run with `make test-e2e` (part of `make test`): KOMODO_MCP_BIN names the binary, which
// serves stdio against its embedded simulator (--demo).
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const bin = process.env.KOMODO_MCP_BIN;
if (!bin) {
  throw new Error('KOMODO_MCP_BIN must name a komodo-mcp binary (make test-e2e builds one)');
}

// Calls made through the client, and how many it rejected (a protocol error: the server
// answered an error, or the client refused the result, e.g. output schema mismatch).
const counts = { made: 0, rejected: 0, toolErrors: 0 };

// connect starts komodo-mcp --demo with extra arguments and connects a client.
async function connect(...args) {
  const transport = new StdioClientTransport({
    command: bin,
    args: ['--demo', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stderr: 'pipe',
  });
  const stderr = [];
  transport.stderr?.on('data', (d) => stderr.push(String(d)));
  const client = new Client({ name: 'komodo-mcp-e2e', version: '1.0.0' });
  await client.connect(transport);
  client.stderrText = () => stderr.join('');
  return client;
}

// call is client.callTool, counted.
async function call(client, name, args = {}, options) {
  counts.made++;
  try {
    const res = await client.callTool({ name, arguments: args }, undefined, options);
    if (res.isError) counts.toolErrors++;
    return res;
  } catch (err) {
    if (!options?.signal?.aborted) counts.rejected++; // the client's own cancellation is no rejection
    throw err;
  }
}

function text(result) {
  return result.content?.map((c) => c.text ?? '').join('') ?? '';
}

let client;
let tools;

before(async () => {
  client = await connect();
  tools = (await client.listTools()).tools; // also compiles every outputSchema in the client's Ajv
});

after(async () => {
  await client?.close();
  // Read by make test-e2e and by the person running it.
  console.log(`# official client: ${counts.made} tool calls made, ${counts.rejected} rejected by the client; ${counts.toolErrors} answered a tool error (isError)`);
});

test('initialize: server info, capabilities, instructions', () => {
  const info = client.getServerVersion();
  assert.equal(info.name, 'komodo-mcp');
  const caps = client.getServerCapabilities();
  assert.ok(caps.tools, 'tools capability');
  assert.ok(caps.prompts, 'prompts capability');
  assert.match(client.getInstructions() ?? '', /Komodo/);
});

test('tools/list: every schema compiles in the client\'s Ajv, default and --toolsets all', async () => {
  const all = await connect('--toolsets', 'all');
  try {
    const listed = (await all.listTools()).tools; // throws if an outputSchema does not compile
    assert.ok(listed.length > 300, `--toolsets all lists ${listed.length} tools`);
    const ajv = new AjvJsonSchemaValidator();
    let outputs = 0;
    for (const tool of [...tools, ...listed]) {
      assert.equal(tool.inputSchema.type, 'object', `${tool.name}: input schema root`);
      assert.match(tool.name, /^[a-zA-Z0-9_-]{1,48}$/);
      assert.doesNotThrow(() => ajv.getValidator(tool.inputSchema), `${tool.name}: input schema`);
      if (tool.outputSchema) {
        outputs++;
        assert.equal(tool.outputSchema.type, 'object', `${tool.name}: output schema root`);
        assert.doesNotThrow(() => ajv.getValidator(tool.outputSchema), `${tool.name}: output schema`);
      }
    }
    assert.ok(outputs > 100, `${outputs} output schemas`);
  } finally {
    await all.close();
  }
});

// Arguments for the default tools: the simulator's seeded resources.
const defaultArgs = {
  komodo_read_GetServer: { id: 'prod-1' },
  komodo_read_GetDeployment: { id: 'web-frontend' },
  komodo_read_GetStack: { id: 'monitoring' },
  komodo_read_GetBuild: { id: 'api-gateway' },
  komodo_read_GetRepo: { id: 'docs-site' },
  komodo_read_GetProcedure: { id: 'nightly-release' },
  komodo_read_GetAction: { id: 'notify-release' },
  komodo_execute_Deploy: { id: 'web-frontend' },
  komodo_execute_Build: { id: 'api-gateway' },
  komodo_execute_StartServer: { id: 'lab-1' },
  komodo_execute_StopServer: { id: 'lab-1' },
  komodo_execute_RestartServer: { id: 'lab-1' },
  komodo_execute_RunProcedure: { id: 'restart-monitoring' },
  komodo_execute_TriggerAction: { id: 'notify-release', payload: { from: 'e2e' } },
  komodo_execute_PullRepo: { id: 'docs-site' },
  komodo_execute_CloneRepo: { id: 'docs-site' },
  komodo_execute_DeployStack: { id: 'monitoring' },
  komodo_execute_RestartStack: { id: 'monitoring' },
  komodo_execute_StartStack: { id: 'monitoring' },
  komodo_execute_StopStack: { id: 'immich' },
  komodo_read_GetDeploymentLog: { id: 'api-gateway', tail: 20 },
  komodo_read_SearchDeploymentLog: { id: 'api-gateway', terms: ['error'] },
  komodo_read_GetStackLog: { id: 'monitoring' },
  komodo_read_SearchStackLog: { id: 'monitoring', terms: ['error'] },
  komodo_read_FindResources: { query: 'redis' },
  komodo_search_tools: { query: 'prune unused docker images' },
  komodo_call_tool: { name: 'komodo_read_ListTags', arguments: { page_size: 2 } },
};

// everyDefaultTool calls every default tool of a session and checks that each succeeds and
// that the client accepts its result.
async function everyDefaultTool(c, listed) {
  const names = listed.map((t) => t.name).sort();
  assert.ok(names.length >= 25, `${names.length} default tools`);
  let jobID;
  let alertID;
  // Lists first, so that ids for GetAlert and GetUpdate / WaitForUpdate are known.
  const order = [
    ...names.filter((n) => n.includes('_List')),
    ...names.filter((n) => n.startsWith('komodo_execute_')),
    ...names.filter((n) => !n.includes('_List') && !n.startsWith('komodo_execute_')),
  ];
  for (const name of order) {
    let args = defaultArgs[name] ?? {};
    if (name === 'komodo_read_GetAlert') args = { id: alertID };
    if (name === 'komodo_read_GetUpdate' || name === 'komodo_read_WaitForUpdate') args = { id: jobID };
    let res = await call(c, name, args);
    if (res.isError && JSON.parse(text(res)).status === 'confirmation_required') {
      // KOMODO_CONFIRM=destructive (the default) asks before what destroys, runs code or
      // grants privileges: confirm with the preview's token, as a client does once the
      // person said yes.
      assert.equal(res.structuredContent, undefined, `${name}: a preview is not structured content`);
      res = await call(c, name, { ...args, confirmation_token: JSON.parse(text(res)).confirmation_token });
    }
    assert.ok(!res.isError, `${name}(${JSON.stringify(args)}) failed: ${text(res)}`);
    const tool = listed.find((t) => t.name === name);
    if (tool.outputSchema) {
      assert.ok(res.structuredContent, `${name}: declares an output schema but answered no structuredContent`);
    }
    if (name === 'komodo_read_ListAlerts') alertID = res.structuredContent.items[0]?._id?.$oid;
    if (name.startsWith('komodo_execute_') && !jobID) jobID = res.structuredContent.job_id;
  }
  assert.ok(alertID && jobID, 'ids for GetAlert and GetUpdate');
  return names.length;
}

test('a call of every default tool succeeds and its result passes the client\'s validation', async () => {
  await everyDefaultTool(client, tools);
  assert.equal(counts.rejected, 0);
});

// newest is the Komodo version the binary's tools were generated for (`komodo-mcp version`),
// so that the suite passes as it is right after `make regenerate KOMODO_VERSION=X`.
const newest = /tools generated for: Komodo Core (\S+)/.exec(execFileSync(bin, ['version'], { encoding: 'utf8' }))?.[1];
if (!newest) {
  throw new Error(`${bin} version does not say which Komodo version its tools are for`);
}

// The everyday tasks against the oldest and the newest Komodo version users run: the
// simulator plays it, the server reads its version and serves that version's tools.
for (const version of ['1.19.5', newest]) {
  test(`Komodo ${version}: every default tool, and every read without arguments, through the official client`, async () => {
    const rejectedBefore = counts.rejected;
    const c = await connect('--komodo-version', version);
    const all = await connect('--komodo-version', version, '--toolsets', 'all');
    try {
      const listed = (await c.listTools()).tools;
      const n = await everyDefaultTool(c, listed);
      const everything = (await all.listTools()).tools;
      const names = new Set(everything.map((t) => t.name));
      const swarms = names.has('komodo_write_CreateSwarm');
      assert.equal(swarms, version !== '1.19.5', `${version}: swarm tools offered: ${swarms}`);
      assert.equal(names.has('komodo_write_CreateBuildWebhook'), version === '1.19.5', `${version}: webhook tools`);
      const changes = await call(all, 'komodo_read_KomodoChanges', {});
      assert.ok(!changes.isError, text(changes));
      assert.equal(changes.structuredContent.from, version);
      const reads = everything.filter((t) => t.annotations?.readOnlyHint && !(t.inputSchema.required?.length) && !t.name.startsWith('komodo_auth_'));
      for (const tool of reads) {
        const res = await call(all, tool.name, {});
        if (res.isError) assert.match(text(res), /"code":"(NOT_FOUND|VALIDATION_ERROR|SERVER_ERROR|NETWORK_ERROR|TIMEOUT|AUTH_ERROR)"/, tool.name);
      }
      assert.equal(counts.rejected, rejectedBefore, 'no result rejected by the client');
      console.log(`# Komodo ${version}: ${n} default tools called, ${everything.length} tools with --toolsets all, ${reads.length} reads without arguments called`);
    } finally {
      await c.close();
      await all.close();
    }
  });
}

test('bad arguments are a tool error the client accepts, not a protocol error', async () => {
  const res = await call(client, 'komodo_read_ListServers', { page: 9223372036854775807 });
  assert.ok(res.isError);
  assert.match(text(res), /VALIDATION_ERROR/);
  const missing = await call(client, 'komodo_read_GetServer', {});
  assert.ok(missing.isError);
  assert.match(text(missing), /VALIDATION_ERROR/);
});

test('a waited execute reports progress, and its final progress comes before the result', async () => {
  const progress = [];
  let resultAt = -1;
  const res = await call(client, 'komodo_execute_Deploy', { id: 'api-gateway', wait: true }, {
    onprogress: (p) => progress.push(p),
    timeout: 120_000,
  });
  resultAt = progress.length;
  assert.ok(!res.isError, text(res));
  assert.equal(res.structuredContent.status, 'succeeded', JSON.stringify(res.structuredContent).slice(0, 400));
  assert.ok(progress.length >= 2, `${progress.length} progress notifications`);
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
  }
  assert.equal(resultAt, progress.length, 'no progress after the result');
});

test('cancellation stops waiting, and the session goes on', async () => {
  const controller = new AbortController();
  let notified = 0;
  const pending = call(client, 'komodo_execute_Deploy', { id: 'worker-queue', wait: true }, {
    signal: controller.signal,
    onprogress: () => {
      notified++;
      controller.abort('e2e cancels');
    },
    timeout: 120_000,
  });
  await assert.rejects(pending);
  assert.ok(notified >= 1, 'cancelled after the first progress notification');
  const after = await call(client, 'komodo_read_ListDeployments', {});
  assert.ok(!after.isError);
  assert.ok(after.structuredContent.items.length > 0);
});

test('prompts: listed, and each answers with its arguments', async () => {
  const { prompts } = await client.listPrompts();
  assert.ok(prompts.length >= 4, `${prompts.length} prompts`);
  const values = { server: 'prod-1', deployment: 'web-frontend', build: 'api-gateway', severity: 'critical' };
  for (const p of prompts) {
    const args = {};
    for (const a of p.arguments ?? []) {
      if (a.required || values[a.name]) args[a.name] = values[a.name] ?? 'x';
    }
    const got = await client.getPrompt({ name: p.name, arguments: args });
    assert.ok(got.messages.length > 0, p.name);
    assert.ok(got.messages.every((m) => m.content.type === 'text' && m.content.text.length > 0), p.name);
  }
  await assert.rejects(client.getPrompt({ name: 'deployment_workflow', arguments: {} }), McpError);
});

test('logging/setLevel: a known level is accepted, an unknown one is -32602', async () => {
  await client.setLoggingLevel('warning');
  await assert.rejects(client.setLoggingLevel('loud'), (err) => err instanceof McpError && err.code === -32602);
});

test('--toolsets all: every read tool that needs no arguments answers a result the client accepts', async () => {
  const all = await connect('--toolsets', 'all');
  try {
    const listed = (await all.listTools()).tools;
    const callable = listed.filter((t) => t.annotations?.readOnlyHint && !(t.inputSchema.required?.length) && !t.name.startsWith('komodo_auth_'));
    assert.ok(callable.length > 50, `${callable.length} read tools without required arguments`);
    let structured = 0;
    for (const tool of callable) {
      const res = await call(all, tool.name, {});
      if (tool.outputSchema && !res.isError) structured++;
      // Some reads fail against the simulator's data (e.g. a server that is down); what matters
      // here is that no answer is rejected by the client.
      if (res.isError) assert.match(text(res), /"code":"(NOT_FOUND|VALIDATION_ERROR|SERVER_ERROR|NETWORK_ERROR|TIMEOUT|AUTH_ERROR)"/, tool.name);
    }
    assert.ok(structured > 30, `${structured} results validated against an output schema`);
  } finally {
    await all.close();
  }
});

test('streamable HTTP: the same client over --http; a waited execute\'s progress precedes its result; no session is 400', async () => {
  const { spawn } = await import('node:child_process');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const proc = spawn(bin, ['--demo', '--http', '127.0.0.1:0'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  try {
    const url = await new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`no URL in the log: ${log}`)), 30_000);
      proc.stderr.on('data', (d) => {
        log += String(d);
        const m = log.match(/url=(http:\/\/[^\s"]+\/mcp)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.on('exit', (code) => reject(new Error(`komodo-mcp exited ${code}: ${log}`)));
    });
    const noSession = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(noSession.status, 400, 'a request without a session that does not initialize');

    const http = new Client({ name: 'komodo-mcp-e2e-http', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const listed = (await http.listTools()).tools;
      assert.ok(listed.length >= 25);
      const servers = await call(http, 'komodo_read_ListServers', {});
      assert.ok(!servers.isError, text(servers));
      const progress = [];
      const res = await call(http, 'komodo_execute_Deploy', { id: 'redis-cache', wait: true }, {
        onprogress: (p) => progress.push(p),
        timeout: 120_000,
      });
      const atResult = progress.length;
      assert.ok(!res.isError, text(res));
      assert.ok(atResult >= 2, `${atResult} progress notifications before the result`);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(progress.length, atResult, 'no progress notification after the result');
    } finally {
      await http.close();
    }
  } finally {
    proc.kill();
  }
});
