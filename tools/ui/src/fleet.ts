// The Komodo fleet view: an MCP App (io.modelcontextprotocol/ui) that a host renders for
// komodo_read_ShowFleet. Plain TypeScript and the DOM: the view is one page of cards and a few
// buttons, and a framework would only add weight to a bundle the SDK already fills.
//
// It never talks to Komodo or the network: every read and action is a tools/call through
// the host to komodo-mcp (App.callServerTool), where the server's own checks apply.
import { App, PostMessageTransport, applyDocumentTheme, applyHostStyleVariables } from "@modelcontextprotocol/ext-apps";
import type { McpUiHostContext } from "@modelcontextprotocol/ext-apps";

type Stats = { cpu_perc: number; mem_used_gb: number; mem_total_gb: number; disk_used_gb: number; disk_total_gb: number };
type Item = { id: string; name: string; state: string; status?: string; tags?: string[]; image?: string; services?: { name: string; image?: string }[] };
type Server = { id?: string; name: string; state: string; version?: string; region?: string; tags?: string[]; error?: string; stats?: Stats; stacks: Item[]; deployments: Item[] };
type Build = { id: string; name: string; state: string; version?: string; last_built_at?: string; tags?: string[] };
type Alert = { level: string; type: string; target?: string; time?: string };
type Actions = { tools: Record<string, string>; gateway?: string; listed: string[] };
type Fleet = { servers: Server[]; builds: Build[]; alerts: Alert[]; counts: unknown; unavailable?: string[]; actions?: Actions; read_at: string };
type Stage = { name: string; success: boolean; tail?: string };
type Progress = { id: string; operation?: string; target?: string; status: string; done: boolean; success?: boolean; stages: Stage[]; failed_stage?: string; error_tail?: string; followed_via?: string };
type ToolResult = { isError?: boolean; content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

const FLEET_TOOL = "komodo_read_ShowFleet";
const WATCH_TOOL = "komodo_read_FleetWatchUpdate";

let fleet: Fleet | undefined;
let nameFilter = "";
let stateFilter = "";
const jobs: Job[] = [];

type Job = { key: string; label: string; progress?: Progress; error?: string; confirm?: { action: string; token: string; run: () => void; cancel: () => void }; note?: string };

const app = new App({ name: "komodo-fleet", version: "1.0.0" }, {}, { autoResize: true });

// ---- DOM helpers ----

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: (Node | string | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

const root = document.getElementById("app")!;

// tone is the colour family of a state; the word is always shown next to the colour.
function tone(state: string): string {
  switch (state.toLowerCase()) {
    case "ok": case "running": case "complete": case "success": case "healthy":
      return "good";
    case "notok": case "failed": case "dead": case "unhealthy": case "exited": case "error": case "critical":
      return "bad";
    case "restarting": case "deploying": case "building": case "paused": case "created": case "removing": case "unknown": case "inprogress": case "queued": case "warning":
      return "warn";
  }
  return "muted"; // Disabled, stopped, down, not_deployed, OK alerts
}

function badge(state: string): HTMLElement {
  return h("span", { class: `badge ${tone(state)}`, "data-state": state }, state || "unknown");
}

function bar(label: string, used: number, total: number, unit: string): HTMLElement {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : used;
  const t = pct >= 90 ? "bad" : pct >= 75 ? "warn" : "good";
  const text = unit === "%" ? `${used.toFixed(0)}%` : `${used.toFixed(1)} / ${total.toFixed(1)} ${unit}`;
  const fill = h("span", { class: `fill ${t}` });
  fill.style.width = `${pct.toFixed(0)}%`;
  return h("div", { class: "stat" }, h("span", { class: "label" }, label), h("span", { class: "meter" }, fill), h("span", { class: "value" }, text));
}

// ---- filtering ----

function matchesName(name: string, tags: string[] | undefined): boolean {
  if (!nameFilter) return true;
  const q = nameFilter.toLowerCase();
  return name.toLowerCase().includes(q) || (tags ?? []).some((t) => t.toLowerCase().includes(q));
}

function matchesState(state: string): boolean {
  return !stateFilter || state === stateFilter;
}

function allStates(f: Fleet): string[] {
  const s = new Set<string>();
  for (const srv of f.servers) {
    s.add(srv.state);
    for (const i of [...srv.stacks, ...srv.deployments]) s.add(i.state);
  }
  for (const b of f.builds) s.add(b.state);
  return [...s].filter(Boolean).sort();
}

// ---- rendering ----

function render(): void {
  if (!fleet) {
    root.replaceChildren(h("p", { class: "muted" }, "Waiting for the fleet…"));
    return;
  }
  const f = fleet;
  const servers = f.servers.filter((s) => s.id);
  const items = f.servers.reduce((n, s) => n + s.stacks.length + s.deployments.length, 0);
  const stateSelect = h("select", { id: "state-filter", "aria-label": "Filter by state" }, h("option", { value: "" }, "All states"));
  for (const st of allStates(f)) {
    const o = h("option", { value: st }, st);
    if (st === stateFilter) o.selected = true;
    stateSelect.append(o);
  }
  stateSelect.addEventListener("change", () => { stateFilter = stateSelect.value; render(); });
  const input = h("input", { id: "name-filter", type: "search", placeholder: "Filter by name or tag", value: nameFilter, "aria-label": "Filter by name or tag" });
  input.addEventListener("input", () => { nameFilter = input.value; renderBody(); });
  const refresh = h("button", { id: "refresh", type: "button" }, "Refresh");
  refresh.addEventListener("click", () => void loadFleet(refresh));
  const header = h("header", {},
    h("h1", {}, "Komodo fleet"),
    h("span", { class: "summary" }, `${servers.length} servers · ${items} stacks & deployments · ${f.builds.length} builds · ${f.alerts.length} open alerts`),
    h("div", { class: "controls" }, input, stateSelect, refresh),
  );
  const body = h("div", { id: "body" });
  root.replaceChildren(header, h("div", { id: "jobs" }), body, h("footer", { class: "muted" }, `Read from Komodo at ${f.read_at}${f.actions ? "" : " · read-only: no actions"}`));
  renderBody();
  renderJobs();
}

function renderBody(): void {
  const body = document.getElementById("body");
  if (!body || !fleet) return;
  const f = fleet;
  const parts: HTMLElement[] = [];
  if (f.unavailable?.length) parts.push(h("div", { class: "notice bad" }, `Could not read: ${f.unavailable.join("; ")}`));
  const alerts = f.alerts.filter((a) => matchesName(a.target ?? "", []) || matchesName(a.type, []));
  if (alerts.length) {
    parts.push(h("section", { class: "alerts" }, h("h2", {}, "Open alerts"),
      h("ul", {}, ...alerts.map((a) => h("li", {}, badge(a.level), ` ${a.type} `, h("b", {}, a.target ?? ""), h("span", { class: "muted" }, a.time ? ` since ${a.time}` : ""))))));
  }
  let shown = 0;
  for (const s of f.servers) {
    const serverMatches = matchesName(s.name, s.tags) && matchesState(s.state);
    const rows = [
      ...s.stacks.map((i) => ({ kind: "stack", i })),
      ...s.deployments.map((i) => ({ kind: "deployment", i })),
    ].filter(({ i }) => serverMatches || (matchesName(i.name, i.tags) && matchesState(i.state)) || (matchesName(s.name, s.tags) && matchesState(i.state)) || (matchesName(i.name, i.tags) && matchesState(s.state) && !stateFilter));
    if (!serverMatches && rows.length === 0) continue;
    shown++;
    parts.push(serverCard(s, rows));
  }
  const builds = f.builds.filter((b) => matchesName(b.name, b.tags) && matchesState(b.state));
  if (builds.length) {
    parts.push(h("section", { class: "card builds" }, h("h2", {}, "Builds"),
      h("table", {}, h("tbody", {}, ...builds.map((b) => h("tr", { "data-name": b.name, "data-kind": "build" },
        h("td", { class: "name" }, b.name), h("td", {}, badge(b.state)), h("td", { class: "muted" }, `v${b.version ?? ""}${b.last_built_at ? ` · built ${b.last_built_at}` : ""}`),
        h("td", { class: "actions" }, ...buttons("build", b.name))))))));
  }
  if (shown === 0 && builds.length === 0) parts.push(h("p", { class: "muted", id: "no-match" }, "Nothing matches the filter."));
  body.replaceChildren(...parts);
}

function serverCard(s: Server, rows: { kind: string; i: Item }[]): HTMLElement {
  const head = h("div", { class: "server-head" }, h("h2", {}, s.name), badge(s.state),
    s.version ? h("span", { class: "muted" }, s.version) : undefined,
    s.region ? h("span", { class: "muted" }, s.region) : undefined,
    ...(s.tags ?? []).map((t) => h("span", { class: "tag" }, t)));
  const card = h("section", { class: `card server ${tone(s.state)}`, "data-server": s.name, "data-state": s.state }, head);
  if (s.stats) {
    card.append(h("div", { class: "stats" }, bar("CPU", s.stats.cpu_perc, 0, "%"), bar("Memory", s.stats.mem_used_gb, s.stats.mem_total_gb, "GB"), bar("Disk", s.stats.disk_used_gb, s.stats.disk_total_gb, "GB")));
  }
  if (s.error) card.append(h("pre", { class: "error" }, s.error));
  if (rows.length) {
    card.append(h("table", {}, h("tbody", {}, ...rows.map(({ kind, i }) => h("tr", { "data-name": i.name, "data-kind": kind, "data-state": i.state },
      h("td", { class: "name" }, i.name), h("td", { class: "muted" }, kind), h("td", {}, badge(i.state)),
      h("td", { class: "detail" }, i.image ?? (i.services ?? []).map((sv) => `${sv.name}${sv.image ? `: ${sv.image}` : ""}`).join(", ")),
      h("td", { class: "actions" }, ...buttons(kind, i.name)))))));
  } else if (!s.stats && !s.error) {
    card.append(h("p", { class: "muted" }, "No stacks or deployments."));
  }
  return card;
}

// buttons are the actions the server offers for a kind; none on a read-only server.
function buttons(kind: string, name: string): HTMLElement[] {
  const a = fleet?.actions;
  if (!a) return [];
  const labels: [string, string][] = kind === "build" ? [["run", "Build"]] : [["deploy", "Deploy"], ["restart", "Restart"], ["stop", "Stop"]];
  const out: HTMLElement[] = [];
  for (const [verb, label] of labels) {
    const tool = a.tools[`${kind}.${verb}`];
    if (!tool) continue;
    const b = h("button", { type: "button", class: `act ${verb}`, "data-action": `${kind}.${verb}`, "data-target": name, title: `${label} ${kind} ${name} (${tool})` }, label);
    b.addEventListener("click", () => void act(tool, `${label} ${kind} ${name}`, { id: name }));
    out.push(b);
  }
  return out;
}

function renderJobs(): void {
  const el = document.getElementById("jobs");
  if (!el) return;
  el.replaceChildren(...jobs.slice(-4).reverse().map(jobCard));
}

function jobCard(j: Job): HTMLElement {
  const p = j.progress;
  const state = j.error ? "error" : j.confirm ? "confirm" : j.note ? "not done" : p ? (p.done ? (p.success ? "success" : "failed") : p.status) : "starting";
  const card = h("section", { class: `card job ${tone(state)}`, "data-job": j.key, "data-status": state }, h("div", { class: "server-head" }, h("h2", {}, j.label), badge(state)));
  if (j.confirm) {
    const c = j.confirm;
    const yes = h("button", { type: "button", class: "confirm-yes" }, "Confirm");
    const no = h("button", { type: "button", class: "confirm-no" }, "Cancel");
    yes.addEventListener("click", () => c.run());
    no.addEventListener("click", () => c.cancel());
    card.append(h("div", { class: "confirm", role: "alertdialog" }, h("p", {}, c.action), h("p", { class: "muted" }, "Nothing has been done yet."), yes, no));
  }
  if (j.note) card.append(h("p", { class: "muted" }, j.note));
  if (j.error) card.append(h("pre", { class: "error" }, j.error));
  if (p) {
    card.append(h("ol", { class: "stages" }, ...p.stages.map((s) => h("li", { class: s.success ? "good" : "bad", "data-stage": s.name }, s.success ? "✓ " : "✗ ", s.name))));
    if (p.done && !p.success && p.failed_stage) {
      card.append(h("div", { class: "failed" }, h("b", {}, `Failed at: ${p.failed_stage}`), h("pre", { class: "error" }, p.error_tail ?? "")));
    }
    if (!p.done) card.append(h("p", { class: "muted" }, `${p.status}…${p.followed_via ? ` (following via ${p.followed_via})` : ""}`));
  }
  return card;
}

// ---- talking to the server through the host ----

function textOf(r: ToolResult): string {
  return (r.content ?? []).map((c) => c.text ?? "").join("\n");
}

async function callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await app.callServerTool({ name, arguments: args })) as ToolResult;
}

// callAction calls an action's tool directly when the session lists it, else through the
// server's gateway: either way the server's own handler, confirmation and audit apply.
function callAction(tool: string, args: Record<string, unknown>): Promise<ToolResult> {
  const a = fleet?.actions;
  if (a && !a.listed.includes(tool) && a.gateway) return callTool(a.gateway, { name: tool, arguments: args });
  return callTool(tool, args);
}

async function loadFleet(button?: HTMLButtonElement): Promise<void> {
  if (button) { button.disabled = true; button.textContent = "Refreshing…"; }
  try {
    const r = await callTool(FLEET_TOOL, {});
    if (r.isError) throw new Error(textOf(r));
    showFleet(r.structuredContent as Fleet);
  } catch (e) {
    root.prepend(h("div", { class: "notice bad" }, `Refresh failed: ${String((e as Error).message ?? e)}`));
  } finally {
    if (button) { button.disabled = false; button.textContent = "Refresh"; }
  }
}

async function act(tool: string, label: string, args: Record<string, unknown>, job?: Job): Promise<void> {
  if (!job) {
    job = { key: `${Date.now()}-${jobs.length}`, label };
    jobs.push(job);
  }
  job.confirm = undefined;
  job.error = undefined;
  renderJobs();
  let r: ToolResult;
  try {
    r = await callAction(tool, args);
  } catch (e) {
    job.error = String((e as Error).message ?? e);
    renderJobs();
    return;
  }
  if (r.isError) {
    let answer: Record<string, unknown> = {};
    try { answer = JSON.parse(textOf(r)); } catch { /* plain text */ }
    const j = job;
    if (answer.status === "confirmation_required" && typeof answer.confirmation_token === "string") {
      // The server asks before this call, as it would in the chat: the person answers here.
      j.confirm = {
        action: String(answer.action ?? label),
        token: answer.confirmation_token,
        run: () => void act(tool, label, { ...args, confirmation_token: answer.confirmation_token }, j),
        cancel: () => { j.confirm = undefined; j.note = "Cancelled: nothing was done."; renderJobs(); },
      };
    } else if (answer.done === false) {
      j.note = String(answer.message ?? "Not done.");
    } else {
      j.error = textOf(r);
    }
    renderJobs();
    return;
  }
  const started = r.structuredContent ?? {};
  const id = typeof started.job_id === "string" ? started.job_id : "";
  if (!id) {
    job.note = textOf(r);
    renderJobs();
    return;
  }
  await watch(job, { id });
}

// watch follows an update stage by stage: the server answers each call once a new stage
// has completed (or the update is over), following it as its execute tools do.
async function watch(job: Job, what: { id: string } | { tool: string; target: string }): Promise<void> {
  let seen = 0;
  let args: Record<string, unknown> = { ...what };
  for (;;) {
    let r: ToolResult;
    try {
      r = await callTool(WATCH_TOOL, { ...args, seen, timeout: 25 });
    } catch (e) {
      job.error = String((e as Error).message ?? e);
      renderJobs();
      return;
    }
    if (r.isError) {
      job.error = textOf(r);
      renderJobs();
      return;
    }
    job.progress = r.structuredContent as Progress;
    seen = job.progress.stages.length;
    args = { id: job.progress.id };
    renderJobs();
    if (job.progress.done) break;
  }
  if (fleet) await loadFleet();
}

// ---- results the host sends ----

function showFleet(f: Fleet): void {
  fleet = f;
  render();
}

// An execute tool the view is attached to (the assistant ran it): follow its update from the
// moment the host shows the tool's input - the server finds the update the tool starts on
// its target - so that the stages show as they arrive, even while the tool waits.
let inputJob: Job | undefined;

function showExecuteInput(tool: string, args: Record<string, unknown>): void {
  const target = typeof args.id === "string" ? args.id : "";
  if (!target || !tool.startsWith("komodo_execute_")) return;
  const job: Job = { key: `input-${tool}-${target}`, label: `${tool.replace("komodo_execute_", "")} ${target}` };
  inputJob = job;
  jobs.push(job);
  if (!fleet) root.replaceChildren(h("div", { id: "jobs" }));
  renderJobs();
  void watch(job, { tool, target });
}

// The execute tool's result: its update, when no watch of it is under way.
function showExecuteResult(s: Record<string, unknown>): void {
  const id = typeof s.job_id === "string" ? s.job_id : "";
  if (!id) return;
  if (jobs.some((j) => j.progress?.id === id) || (inputJob && !inputJob.error && !inputJob.progress?.done)) return;
  const target = s.target as { type?: string; id?: string; name?: string } | undefined;
  const job: Job = inputJob ?? { key: id, label: `${String(s.operation ?? "Update")} ${target?.name ?? target?.id ?? ""}`.trim() };
  job.error = undefined;
  if (!inputJob) jobs.push(job);
  if (!fleet) root.replaceChildren(h("div", { id: "jobs" }));
  void watch(job, { id });
}

function markPaint(): void {
  // Two frames: the first runs before the browser paints, the second after it did.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    document.body.dataset.paintedAt = String(performance.timeOrigin + performance.now());
  }));
}

app.ontoolinput = (p) => {
  const tool = app.getHostContext()?.toolInfo?.tool?.name;
  if (tool && tool !== FLEET_TOOL) showExecuteInput(tool, (p.arguments ?? {}) as Record<string, unknown>);
};

app.ontoolresult = (r) => {
  const s = r.structuredContent as Record<string, unknown> | undefined;
  if (s && Array.isArray(s.servers)) showFleet(s as unknown as Fleet);
  else if (s && typeof s.job_id === "string") showExecuteResult(s);
  else root.replaceChildren(h("pre", {}, textOf(r as ToolResult)));
  markPaint();
};

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (ctx?.theme) applyDocumentTheme(ctx.theme);
  if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
}

app.onhostcontextchanged = (ctx) => applyContext(ctx as McpUiHostContext);

render();
app.connect(new PostMessageTransport(window.parent, window.parent)).then(() => applyContext(app.getHostContext()));
