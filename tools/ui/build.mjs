// Bundles the fleet view into one self-contained HTML file, gen/ui/fleet.html: the script
// (the view and the pinned @modelcontextprotocol/ext-apps App API) and the styles inline,
// nothing fetched from anywhere, a CSP that allows no origin. The output depends only on the
// sources and the lockfile's versions (no timestamps, no absolute paths), so CI can rebuild it
// and compare with the committed file: `make ui`, `make check-ui`.
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "../../gen/ui/fleet.html");

// zod (under the MCP SDK) re-exports every locale of its error messages through one
// namespace object the bundler cannot prune; the view needs English only.
const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (a) => (a.importer.includes("/node_modules/zod/") ? { path: "zod-locales", namespace: "zod-en" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, () => ({ contents: 'export { default as en } from "zod/v4/locales/en.js";', resolveDir: here }));
  },
};

const result = await esbuild.build({
  entryPoints: [join(here, "src/fleet.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  legalComments: "none",
  charset: "utf8",
  write: false,
  plugins: [englishOnly],
  logLevel: "warning",
});
const script = result.outputFiles[0].text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
const style = readFileSync(join(here, "src/fleet.css"), "utf8").trim();
const template = readFileSync(join(here, "src/fleet.html"), "utf8");
const html = template.replace("/*STYLE*/", () => style).replace("/*SCRIPT*/", () => script.trim());
writeFileSync(out, html);
console.error(`${out}: ${html.length} bytes`);
