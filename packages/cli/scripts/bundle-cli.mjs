#!/usr/bin/env node
// Bundles the command line (after `tsc` has written dist/) into dist/bundle/: one ESM file for the
// bin and one per worker entry, with every @tickscope/* package and the pure-JS dependencies
// inlined, and each lazy `import()` kept as a split chunk (so `--version`, `--help` and
// `protocol check` still load little). Loading a few bundled files instead of ~500 ESM modules is
// most of the fixed cost of a small run (issue 16). The per-package dist/ stays as tsc wrote it
// (library consumers import dist/index.js).
//
// Layout: flat, so the launchers' `new URL("./analyze-worker.js", import.meta.url)` (import.meta.url
// is the bundle file's URL) finds the worker's entry next to it.
//
// Code cache: each entry is one CommonJS file `<name>.bundle.js` (no chunks) behind a small loader
// `<name>.js` (scripts/run-with-code-cache.cjs) that compiles it with V8's code cache. After the
// bundle, a training run (a tiny simulated match, analyzed on two threads, then `--help`) records the
// bytecode of every function it ran, per entry and per bin profile (`analyze`, or `start` for the
// rest), in `<name>.<build id>.<profile>.code-cache`. A bundle rebuilt gets a new build id, so an old
// cache is never used; without a cache (or with one V8 rejects) the loader compiles as usual.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
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
  // bandwidth's compression trials thread (CompressionThread looks for ./compression-worker.js next to its module)
  "compression-worker": fileURLToPath(import.meta.resolve("@tickscope/bandwidth/compression-worker")),
};

/** The loader every entry's `<name>.js` runs (copied next to the bundles). */
const LOADER = "run-with-code-cache.cjs";

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
  entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [`${name}.bundle`, resolve(distDirectory, file)])),
  outdir: bundleDirectory,
  entryNames: "[name]",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  // the loader passes each bundle its own path; the sources' import.meta.url is that file's URL
  define: { "import.meta.url": "__bundleFileUrl" },
  banner: { js: 'const __bundleFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [bundleCreateRequireCalls],
  sourcemap: "linked",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
// every file in dist/bundle is CommonJS (the package itself is "type": "module")
await writeFile(join(bundleDirectory, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
await copyFile(join(packageDirectory, "scripts", LOADER), join(bundleDirectory, LOADER));
for (const name of Object.keys(ENTRY_POINTS)) {
  const bundleFile = join(bundleDirectory, `${name}.bundle.js`);
  const buildId = createHash("sha256").update(await readFile(bundleFile)).digest("hex").slice(0, 16);
  await appendFile(bundleFile, `//# tickscope-build=${buildId}\n`);
  const shebang = name === "bin" ? "#!/usr/bin/env node\n" : "";
  await writeFile(join(bundleDirectory, `${name}.js`), `${shebang}"use strict";\nrequire("./${LOADER}").runWithCodeCache(__dirname, ${JSON.stringify(name)});\n`, { mode: name === "bin" ? 0o755 : 0o644 });
}

/** Runs the bundled bin once in training mode (writes the code caches of the entries it runs). */
function train(args, directory) {
  const run = spawnSync(process.execPath, [join(bundleDirectory, "bin.js"), ...args], {
    cwd: directory,
    env: { ...process.env, TICKSCOPE_TRAIN_CODE_CACHE: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`code-cache training run \`tickscope ${args.join(" ")}\` failed (${run.status}): ${run.stderr}`);
}
const trainingDirectory = await mkdtemp(join(tmpdir(), "tickscope-code-cache-"));
try {
  const arena = join(packageDirectory, "..", "..", "examples", "protocols", "arena.json");
  train(["simulate", "--players", "2", "--duration", "3s", "--quiet", "--out", "match.pcapng"], trainingDirectory);
  // two threads train the analyze worker; then one thread, so bin's cache holds every analysis
  train(["analyze", "match.pcapng", "--protocol", arena, "--format", "json", "--out", "report", "--threads", "2", "--quiet"], trainingDirectory);
  train(["analyze", "match.pcapng", "--protocol", arena, "--format", "json", "--out", "report", "--threads", "1", "--quiet"], trainingDirectory);
  train(["--help"], trainingDirectory);
} finally {
  await rm(trainingDirectory, { recursive: true, force: true });
}
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`bundled the CLI: ${outputs.length} files, ${(bytes / 1e6).toFixed(2)} MB in ${bundleDirectory}, code caches trained`);
