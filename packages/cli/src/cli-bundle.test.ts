import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TOOL_VERSION } from "./version.js";

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
        // the lazy imports stay split: --version and --help load less than protocol check, and far
        // less than the ~500 modules of the unbundled dist
        expect(version.loadedModules.length).toBeLessThan(check.loadedModules.length);
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

  if (!built) it.skip("needs the built CLI (pnpm build): packages/cli/dist/bundle/bin.js", () => {});
});
