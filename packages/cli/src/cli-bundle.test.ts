import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TOOL_VERSION } from "./version.js";
import { createRequire } from "node:module";

// The bundled command line (`pnpm build` writes dist/bundle/ after tsc; scripts/bundle-cli.mjs):
// what `bin` points at. These tests spawn it, so they need the build (the root `test` script runs it).
const packageDirectory = fileURLToPath(new URL("..", import.meta.url));
const bundleDirectory = join(packageDirectory, "dist", "bundle");
const bundledBinary = join(bundleDirectory, "bin.js");
const unbundledBinary = join(packageDirectory, "dist", "bin.js");
const arenaDefinition = fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url));
const built = existsSync(bundledBinary) && existsSync(unbundledBinary);

interface BinaryRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** file: URLs of the JavaScript modules the process and its worker threads loaded (not node: built-ins). */
  loadedModules: string[];
}

/** Runs a built binary with a module hook that logs every module it (and each worker thread) loads. */
async function runBinary(binary: string, args: readonly string[], directory: string): Promise<BinaryRun> {
  const log = join(directory, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = join(directory, "log-loads-hooks.mjs");
  const register = join(directory, "log-loads.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) {\n  if (url.startsWith("file:")) appendFileSync(process.env.TICKSCOPE_LOAD_LOG, url + "\\n");\n  return next(url, context);\n}\n`,
  );
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const child = spawn(process.execPath, ["--import", pathToFileURL(register).href, binary, ...args], {
    cwd: directory,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TICKSCOPE_LOAD_LOG: log },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const loadedModules = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter((line) => line !== "") : [];
  return { code, stdout, stderr, loadedModules: loadedModules.filter((url) => url !== pathToFileURL(register).href && url !== pathToFileURL(hooks).href) };
}

/** Loaded modules that are not bundle files (an @tickscope/* dist module or a node_modules package would show up here). */
function outsideTheBundle(run: BinaryRun): string[] {
  const bundlePrefix = pathToFileURL(bundleDirectory).href + "/";
  return run.loadedModules.filter((url) => !url.startsWith(bundlePrefix));
}

describe("the bundled CLI (dist/bundle)", () => {
  it("is what the package's bin points at", () => {
    const manifest = JSON.parse(readFileSync(join(packageDirectory, "package.json"), "utf8")) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(manifest.bin.tickscope).toBe("./dist/bundle/bin.js");
    expect(manifest.scripts.build).toContain("scripts/bundle-cli.mjs");
  });

  it.skipIf(!built)(
    "answers --version, --help and protocol check from a few bundle files, with every @tickscope package inlined",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "tickscope-bundle-"));
      try {
        const version = await runBinary(bundledBinary, ["--version"], directory);
        expect(version.code).toBe(0);
        expect(version.stdout.trim()).toBe(TOOL_VERSION);
        expect(outsideTheBundle(version)).toEqual([]);
        const help = await runBinary(bundledBinary, ["--help"], directory);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain("analyze");
        expect(outsideTheBundle(help)).toEqual([]);
        const check = await runBinary(bundledBinary, ["protocol", "check", arenaDefinition], directory);
        expect(check.stderr).toBe("");
        expect(check.code).toBe(0);
        expect(outsideTheBundle(check)).toEqual([]);
        // one bundle file behind a small loader, instead of the ~500 modules of the unbundled dist
        expect(version.loadedModules.length).toBeLessThanOrEqual(check.loadedModules.length);
        expect(help.loadedModules.length).toBeLessThanOrEqual(12);
        const unbundledCheck = await runBinary(unbundledBinary, ["protocol", "check", arenaDefinition], directory);
        expect(unbundledCheck.stdout).toBe(check.stdout);
        expect(check.loadedModules.length * 4).toBeLessThan(unbundledCheck.loadedModules.length);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.skipIf(!built)(
    "simulates and analyzes on its bundled worker threads, with reports byte-identical to the unbundled dist",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "tickscope-bundle-"));
      try {
        const simulate = await runBinary(bundledBinary, ["simulate", "--players", "2", "--duration", "2s", "--quiet", "--out", "match.pcapng", "--truth", "truth.json"], directory);
        expect(simulate.stderr).toBe("");
        expect(simulate.code).toBe(0);
        expect(simulate.loadedModules).toContain(pathToFileURL(join(bundleDirectory, "simulate-worker.js")).href);
        expect(outsideTheBundle(simulate)).toEqual([]);

        const analyzeArgs = (out: string): string[] => ["analyze", "match.pcapng", "--protocol", arenaDefinition, "--format", "json", "--out", out, "--threads", "2", "--quiet"];
        const bundled = await runBinary(bundledBinary, analyzeArgs("bundled"), directory);
        expect(bundled.stderr).toBe("wrote bundled/report.json\n");
        expect(bundled.code).toBe(0);
        expect(bundled.loadedModules).toContain(pathToFileURL(join(bundleDirectory, "analyze-worker.js")).href);
        expect(outsideTheBundle(bundled)).toEqual([]);
        const unbundled = await runBinary(unbundledBinary, analyzeArgs("unbundled"), directory);
        expect(unbundled.code).toBe(0);
        const report = readFileSync(join(directory, "bundled", "report.json"), "utf8");
        expect(JSON.parse(report).report.captures.length).toBe(1);
        expect(report).toBe(readFileSync(join(directory, "unbundled", "report.json"), "utf8"));
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it.skipIf(!built)(
    "runs each entry with the code cache the build trained, and without one when the cache is stale or damaged",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "tickscope-bundle-"));
      const debug = { ...process.env, TICKSCOPE_CODE_CACHE_DEBUG: "1" };
      const run = (binary: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, [binary, ...args], { cwd: directory, stdio: ["ignore", "pipe", "pipe"], env: debug });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          child.on("exit", (code) => resolve({ code, stdout, stderr }));
        });
      try {
        const simulate = await run(bundledBinary, ["simulate", "--players", "2", "--duration", "2s", "--quiet", "--out", "match.pcapng"]);
        expect(simulate.code).toBe(0);
        expect(simulate.stderr).toContain("code cache bin/start: accepted");
        expect(simulate.stderr).toContain("code cache simulate-worker/run: accepted");
        const version = await run(bundledBinary, ["--version"]);
        expect(version.stderr).toBe("code cache bin/start: accepted\n");
        const analyzeArgs = (out: string): string[] => ["analyze", "match.pcapng", "--protocol", arenaDefinition, "--format", "json", "--out", out, "--threads", "2", "--quiet"];
        const cached = await run(bundledBinary, analyzeArgs("cached"));
        expect(cached.code).toBe(0);
        expect(cached.stderr).toContain("code cache bin/analyze: accepted");
        expect(cached.stderr).toContain("code cache analyze-worker/run: accepted");
        const report = readFileSync(join(directory, "cached", "report.json"), "utf8");

        // a copy of the bundle whose bin was rebuilt (new build id): its old caches are not looked at
        const rebuilt = join(directory, "rebuilt");
        cpSync(bundleDirectory, rebuilt, { recursive: true });
        appendFileSync(join(rebuilt, "bin.bundle.js"), "//# tickscope-build=0123456789abcdef\n");
        const stale = await run(join(rebuilt, "bin.js"), analyzeArgs("stale"));
        expect(stale.code).toBe(0);
        expect(stale.stderr).toContain("code cache bin/analyze: none");
        expect(readFileSync(join(directory, "stale", "report.json"), "utf8")).toBe(report);

        // a damaged cache under the right name: V8 rejects it and compiles the bundle as usual
        const damaged = join(directory, "damaged");
        cpSync(bundleDirectory, damaged, { recursive: true });
        for (const file of readdirSync(damaged).filter((name) => name.endsWith(".code-cache"))) writeFileSync(join(damaged, file), Buffer.alloc(4096, 7));
        const rejected = await run(join(damaged, "bin.js"), analyzeArgs("rejected"));
        expect(rejected.code).toBe(0);
        expect(rejected.stderr).toContain("code cache bin/analyze: rejected");
        expect(rejected.stderr).toContain("code cache analyze-worker/run: rejected");
        expect(readFileSync(join(directory, "rejected", "report.json"), "utf8")).toBe(report);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it("reads a bundle's build id and picks the cache profile of a bin run", () => {
    const loader = createRequire(import.meta.url)("../scripts/run-with-code-cache.cjs") as {
      buildIdOf(source: string): string | undefined;
      profileOf(entry: string, args: readonly string[]): string;
    };
    expect(loader.buildIdOf("code();\n//# tickscope-build=00ff12ab34cd56ef\n")).toBe("00ff12ab34cd56ef");
    expect(loader.buildIdOf("code();\n")).toBeUndefined();
    expect(loader.buildIdOf("//# tickscope-build=00ff12ab34cd56ef\nmore();\n")).toBeUndefined();
    expect(loader.profileOf("bin", ["analyze", "x.pcapng", "--quiet"])).toBe("analyze");
    expect(loader.profileOf("bin", ["--quiet", "analyze"])).toBe("analyze");
    expect(loader.profileOf("bin", ["--version"])).toBe("start");
    expect(loader.profileOf("bin", ["protocol", "check", "analyze"])).toBe("start");
    expect(loader.profileOf("analyze-worker", ["analyze"])).toBe("run");
  });

  if (!built) it.skip("needs the built CLI (pnpm build): packages/cli/dist/bundle/bin.js", () => {});
});
