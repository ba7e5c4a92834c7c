// The test host page: what a chat client that renders MCP Apps does for one tool call, with
// the SDK's host side (AppBridge + PostMessageTransport, as in ext-apps' basic-host example).
// It reaches komodo-mcp through window.mcp, a function the test (Node) exposes, which sends
// the request with the official TypeScript MCP client over stdio to `komodo-mcp --demo`.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

type Tool = { name: string; _meta?: { ui?: { resourceUri?: string; visibility?: string[] } } };

declare global {
  interface Window {
    mcp(method: string, params: unknown): Promise<any>;
    host: {
      show(name: string, args: Record<string, unknown>): Promise<number>;
      resultSentAt: number[];
      appCalls: string[];
      refused: string[];
    };
  }
}

let tools: Tool[] | undefined;
let views = 0;

async function listTools(): Promise<Tool[]> {
  tools ??= ((await window.mcp("tools/list", {})) as { tools: Tool[] }).tools;
  return tools;
}

// visibleToApp: the extension's rule for tools/call from a view (default ["model", "app"]).
function visibleToApp(t: Tool | undefined): boolean {
  const v = t?._meta?.ui?.visibility;
  return !!t && (!v || v.includes("app"));
}

// show runs a tool as the assistant would and renders its view; it answers the view's number.
async function show(name: string, args: Record<string, unknown>): Promise<number> {
  const all = await listTools();
  const tool = all.find((t) => t.name === name);
  const uri = tool?._meta?.ui?.resourceUri;
  if (!uri) throw new Error(`${name} has no _meta.ui.resourceUri`);
  const result = window.mcp("tools/call", { name, arguments: args }); // in parallel, as hosts do
  const res = await window.mcp("resources/read", { uri });
  const content = res.contents[0];
  if (content.mimeType !== "text/html;profile=mcp-app") throw new Error(`resource MIME type ${content.mimeType}`);

  const n = ++views;
  document.querySelectorAll("iframe").forEach((f) => f.remove());
  const iframe = document.createElement("iframe");
  iframe.id = `view-${n}`;
  iframe.setAttribute("sandbox", "allow-scripts"); // no same origin: the view reaches nothing but the host
  iframe.srcdoc = content.text;
  document.getElementById("views")!.append(iframe);

  const bridge = new AppBridge(null, { name: "komodo-mcp test host", version: "1.0.0" }, { serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: { theme: "light", toolInfo: { tool: tool as any } } });
  bridge.oncalltool = async (params) => {
    const t = (await listTools()).find((x) => x.name === params.name);
    if (!visibleToApp(t)) {
      window.host.refused.push(params.name);
      throw new Error(`tool ${params.name} is not available to the view`);
    }
    window.host.appCalls.push(params.name);
    return window.mcp("tools/call", params);
  };
  bridge.onreadresource = async (params) => window.mcp("resources/read", params);
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${Math.ceil(height)}px`;
  };
  bridge.onloggingmessage = (p) => console.log("view:", JSON.stringify(p.data));
  const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  // The result follows when the tool answers (a waited execute: when Komodo is done).
  void result.then(async (r) => {
    window.host.resultSentAt[n] = performance.timeOrigin + performance.now();
    await bridge.sendToolResult(r);
  });
  return n;
}

window.host = { show, resultSentAt: [], appCalls: [], refused: [] };
