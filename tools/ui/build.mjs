// Bundles the fleet view into one self-contained HTML file, gen/ui/fleet.html: the script
// (the view and the pinned @modelcontextprotocol/ext-apps App API) and the styles inline,
// nothing fetched from anywhere, a CSP that allows no origin. The output depends only on the
// sources and the lockfile's versions (no timestamps, no absolute paths), so CI can rebuild it
// and compare with the committed file: `make ui`, `make check-ui`.
//
// Three steps: esbuild strips the TypeScript; Rollup bundles, because its tree-shaking looks
// into what a top-level call does and drops far more of the SDK (the MCP client's Protocol and
// zod) than esbuild, which keeps every initializer it cannot prove pure (417 KB against
// 238 KB); esbuild minifies.
import * as esbuild from "esbuild";
import { rollup } from "rollup";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "../../gen/ui/fleet.html");

const entry = "fleet-view-entry";
const source = await esbuild.build({
  entryPoints: [join(here, "src/fleet.ts")],
  bundle: false,
  format: "esm",
  target: "es2022",
  write: false,
  logLevel: "warning",
});
const view = {
  name: "fleet-view",
  resolveId: (id) => (id === entry ? id : null),
  load: (id) => (id === entry ? source.outputFiles[0].text : null),
};
const bundle = await rollup({
  input: entry,
  plugins: [view, nodeResolve({ browser: true, rootDir: here })],
  // $constructor is zod's class factory: a call whose result nobody uses can go.
  treeshake: { preset: "smallest", manualPureFunctions: ["$constructor"] },
  onwarn: (w, warn) => (w.code === "CIRCULAR_DEPENDENCY" || w.code === "INVALID_ANNOTATION" ? undefined : warn(w)),
});
const { output } = await bundle.generate({ format: "iife" });
await bundle.close();
const min = await esbuild.transform(output[0].code, { minify: true, target: "es2022", legalComments: "none", charset: "utf8" });
const script = min.code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
const style = readFileSync(join(here, "src/fleet.css"), "utf8").trim();
const template = readFileSync(join(here, "src/fleet.html"), "utf8");
const html = template.replace("/*STYLE*/", () => style).replace("/*SCRIPT*/", () => script.trim());
writeFileSync(out, html);
console.error(`${out}: ${html.length} bytes`);
