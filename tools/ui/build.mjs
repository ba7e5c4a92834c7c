// Bundles the fleet view into one self-contained HTML file, gen/ui/fleet.html: the script
// (the view and the pinned @modelcontextprotocol/ext-apps App API) and the styles inline,
// nothing fetched from anywhere, a CSP that allows no origin. The output depends only on the
// sources and the lockfile's versions (no timestamps, no absolute paths), so CI can rebuild it
// and compare with the committed file: `make ui`, `make check-ui`.
//
// Three steps: esbuild strips the TypeScript; Rollup bundles, because its tree-shaking looks
// into what a top-level call does and drops far more of the SDK (the MCP client's Protocol and
// zod) than esbuild, which keeps every initializer it cannot prove pure (417 KB against
// 238 KB); esbuild minifies (script and CSS).
//
// The budget is 200 KB (internal/fleetview's TestBundleBudget holds it). Rollup alone leaves
// code that nothing reads but whose initializer it cannot prove pure; the plugins below say so
// for the pinned SDK versions, without touching node_modules (each fails the build when the
// code it expects is gone, so an SDK upgrade is looked at again):
//   - pureSchemas: the MCP schema modules build zod schemas at the top level (`z.object(...)`,
//     `ResultSchema.extend(...)`); those calls are marked /*#__PURE__*/, so the schemas the App
//     never reads go.
//   - specTypeRegistry: the client builds a registry of every spec type (specTypeSchemas,
//     isSpecType) with two loops at the top level; they run inside a pure function whose result
//     the registry's two exports reference, so they stay whenever the registry is used.
//   - pureCjs: `__toESM(require_x())` of a bundled CommonJS module (content-type) is pure.
//   - noJsonSchema: zod's JSON Schema generation (z.toJSONSchema, processors; ~25 KB) is replaced
//     by functions that throw a clear error: the view and the App never turn a schema into JSON
//     Schema (the App API's registerTool would, for tools the view offers to the host; this
//     view offers none). Validation (parse, safeParse) is untouched.
// 242,914 bytes before these (237,697 of script), 197,410 after (about 52,977 gzipped).
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

/** transformOnce wraps a code rewrite for modules whose id matches: the build fails if it changes nothing. */
function transformOnce(name, idPattern, rewrite) {
  const seen = new Set();
  return {
    name,
    transform(code, id) {
      if (!idPattern.test(id)) return null;
      const next = rewrite(code);
      if (next === code) this.error(`${name}: nothing to rewrite in ${id}; the SDK changed, look at build.mjs again`);
      seen.add(id);
      return { code: next, map: null };
    },
    buildEnd(err) {
      if (!err && seen.size === 0) this.error(`${name}: no module matched ${idPattern}`);
    },
  };
}
const pureSchemas = transformOnce("pure-schemas", /@modelcontextprotocol\/core\/dist\/(schemas|auth)-\w+\.mjs$/, (code) =>
  code
    .split("\n")
    .map((line) =>
      /^\s*(\*|\/\*|\/\/)/.test(line) || line.includes("*/")
        ? line
        : line.replace(/(^|[=(\[,:?]\s*)((?:z\.\w+|[A-Z]\w*Schema\.\w+)\()/g, "$1/*#__PURE__*/ $2"),
    )
    .join("\n"),
);
const specTypeRegistry = transformOnce("spec-type-registry", /@modelcontextprotocol\/client\/dist\/src-\w+\.mjs$/, (code) => {
  const loops =
    /^for \(const key of SPEC_SCHEMA_KEYS\) register\(key, schemas_exports\[key\]\);\nfor \(const \[key, schema\] of Object\.entries\(authSchemas\)\) register\(key, schema\);$/m;
  const freezes = ["const specTypeSchemas = Object.freeze(_specTypeSchemas);", "const isSpecType = Object.freeze(_isSpecType);"];
  if (!loops.test(code) || freezes.some((f) => !code.includes(f))) return code;
  let next = code.replace(loops, "const _registered = /*#__PURE__*/ (() => {\n$&\nreturn true;\n})();");
  for (const f of freezes) next = next.replace(f, f.replace(/= Object\.freeze\((\w+)\)/, "= /*#__PURE__*/ Object.freeze($1, _registered)"));
  return next.replace(/__toESM\(require_/g, "__toESM(/* @__PURE__ */ require_");
});
const jsonSchemaModules = ["json-schema-processors", "to-json-schema"];
const jsonSchemaExports = {};
for (const m of jsonSchemaModules) jsonSchemaExports[m] = Object.keys(await import(join(here, `node_modules/zod/v4/core/${m}.js`))).sort();
const noJsonSchema = {
  name: "no-json-schema",
  load(id) {
    const m = id.match(/\/node_modules\/zod\/v4\/core\/([\w-]+)\.js$/);
    if (!m || !jsonSchemaModules.includes(m[1])) return null;
    let code = `const off = () => { throw new Error("komodo-mcp fleet view: zod's JSON Schema generation is left out of this bundle"); };\n`;
    // create*Method make a schema's toJSONSchema / ~standard.jsonSchema functions when asked for them: they hand back one that throws.
    for (const name of jsonSchemaExports[m[1]]) code += `export const ${name} = ${name.startsWith("create") ? "() => off" : "off"};\n`;
    return code;
  },
};
const bundle = await rollup({
  input: entry,
  plugins: [view, noJsonSchema, pureSchemas, specTypeRegistry, nodeResolve({ browser: true, rootDir: here })],
  // $constructor is zod's class factory: a call whose result nobody uses can go.
  treeshake: { preset: "smallest", manualPureFunctions: ["$constructor"] },
  onwarn: (w, warn) => (w.code === "CIRCULAR_DEPENDENCY" || w.code === "INVALID_ANNOTATION" ? undefined : warn(w)),
});
const { output } = await bundle.generate({ format: "iife" });
await bundle.close();
const min = await esbuild.transform(output[0].code, { minify: true, target: "es2022", legalComments: "none", charset: "utf8" });
const script = min.code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
const style = (await esbuild.transform(readFileSync(join(here, "src/fleet.css"), "utf8"), { loader: "css", minify: true, charset: "utf8" })).code.trim();
const template = readFileSync(join(here, "src/fleet.html"), "utf8");
const html = template.replace("/*STYLE*/", () => style).replace("/*SCRIPT*/", () => script.trim());
writeFileSync(out, html);
console.error(`${out}: ${html.length} bytes`);
