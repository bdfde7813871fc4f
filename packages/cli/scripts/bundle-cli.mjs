#!/usr/bin/env node
// Bundles the command line (after `tsc` has written dist/) into dist/bundle/: one ESM file for the
// bin and one per worker entry, with every @tickscope/* package and the pure-JS dependencies
// inlined, and each lazy `import()` kept as a split chunk (so `--version`, `--help` and
// `protocol check` still load little). Loading a few bundled files instead of ~500 ESM modules is
// most of the fixed cost of a small run (issue 16). The per-package dist/ stays as tsc wrote it
// (library consumers import dist/index.js).
//
// Layout: flat, so the launchers' `new URL("./analyze-worker.js", import.meta.url)` (evaluated in
// whichever chunk holds them) finds the bundled worker next to it.
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), "..");
const distDirectory = join(packageDirectory, "dist");
const bundleDirectory = join(distDirectory, "bundle");

/** Worker entry points: file name in dist/ → bundled name (the launchers look for these names next to themselves). */
const ENTRY_POINTS = {
  bin: "bin.js",
  "analyze-worker": "analyze-worker.js",
  "simulate-worker": "simulate-worker.js",
  "partial-thread": "fleet/partial-thread.js",
};

/**
 * Left as runtime imports: the Redis job queue of `fleet` (bullmq reads its Lua scripts from its
 * own directory, msgpackr has an optional native addon). Only the fleet chunks import them.
 */
const EXTERNAL = ["bullmq", "ioredis", "msgpackr", "msgpackr-extract"];

/**
 * A library that loads a CommonJS dependency through `createRequire(import.meta.url)` resolves it
 * from its own directory; bundled, `import.meta.url` is the bundle's, where that dependency is not
 * installed (pnpm's strict layout). Turn each literal `require("pkg")` of such a module into a
 * static import, so the dependency is bundled too (e.g. @tickscope/capture's pcap-parser).
 */
const bundleCreateRequireCalls = {
  name: "bundle-create-require-calls",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes("createRequire(import.meta.url)")) return undefined;
      const imports = [];
      const contents = source.replace(/\brequire\(("[^"./][^"]*")\)/g, (_match, specifier) => {
        const binding = `__bundledRequire${imports.length}`;
        imports.push(`import ${binding} from ${specifier};`);
        return binding;
      });
      if (imports.length === 0) return undefined;
      return { contents: `${imports.join("\n")}\n${contents}`, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

await rm(bundleDirectory, { recursive: true, force: true });
const result = await build({
  absWorkingDir: packageDirectory,
  entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [name, join(distDirectory, file)])),
  outdir: bundleDirectory,
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  // CommonJS dependencies bundled into ESM call require() for Node built-ins
  banner: { js: 'import { createRequire as __bundleCreateRequire } from "node:module";\nconst require = __bundleCreateRequire(import.meta.url);' },
  plugins: [bundleCreateRequireCalls],
  sourcemap: "linked",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`bundled the CLI: ${outputs.length} files, ${(bytes / 1e6).toFixed(2)} MB in ${bundleDirectory}`);
