/**
 * `pnpm fuzz [--cases N] [--seed S] [--target name] [--timeout-s T]`: the long
 * run of tickscope's fuzzing contract.
 *
 * Discovers `packages/*\/fuzz/*.fuzz.ts`; each exports
 * `runFuzz({ cases, seed }): Promise<FuzzRunResult[]>` (one result per target,
 * `cases` cases each). Every target runs in a child process of its own (the
 * module is asked for its target names first, then run with
 * TICKSCOPE_FUZZ_TARGET set; a module that ignores that variable is run once
 * for all its targets), so each gets its own cases/s and peak RSS, and a
 * target that hangs is killed after `--timeout-s` and reported. Prints per
 * target: cases, cases/s, escapes (with the seed that reproduces each) and
 * peak RSS; exits 1 on any escape.
 *
 * `--target` matches a target name (`pcapng`), a module (`readers`) or
 * `package/module` (`capture/readers`). Sources are imported through
 * `scripts/tsconfig.fuzz.json` paths, so nothing needs building.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FuzzEscape, FuzzRunResult } from "./fuzz-contract.js";


/** What a child process reports. */
interface ChildReport {
  results: FuzzRunResult[];
  seconds: number;
  peakRssBytes: number;
}

interface Arguments {
  cases: number;
  seed: number;
  target: string | undefined;
  timeoutSeconds: number;
  child: string | undefined;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function parseArguments(argv: readonly string[]): Arguments {
  const parsed: Arguments = { cases: 10_000, seed: 1, target: undefined, timeoutSeconds: 3600, child: undefined };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[index + 1];
    const number = (): number => {
      const result = Number(value);
      if (value === undefined || !Number.isInteger(result) || result < 0) throw new Error(`${name} needs a non-negative integer, got ${value}`);
      index += 1;
      return result;
    };
    if (name === "--cases") parsed.cases = number();
    else if (name === "--seed") parsed.seed = number();
    else if (name === "--timeout-s") parsed.timeoutSeconds = number();
    else if (name === "--target") {
      if (value === undefined) throw new Error("--target needs a name");
      parsed.target = value;
      index += 1;
    } else if (name === "--child") {
      parsed.child = value;
      index += 1;
    } else if (name === "--") continue;
    else throw new Error(`unknown argument ${name} (usage: pnpm fuzz [--cases N] [--seed S] [--target name] [--timeout-s T])`);
  }
  return parsed;
}

/** `packages/<package>/fuzz/<module>.fuzz.ts` files, sorted. */
function discoverModules(): { path: string; label: string }[] {
  const modules: { path: string; label: string }[] = [];
  const packages = join(root, "packages");
  for (const name of readdirSync(packages).sort()) {
    const directory = join(packages, name, "fuzz");
    if (!existsSync(directory)) continue;
    for (const file of readdirSync(directory).sort()) {
      if (file.endsWith(".fuzz.ts")) modules.push({ path: join(directory, file), label: `${name}/${basename(file, ".fuzz.ts")}` });
    }
  }
  return modules;
}

/** Child mode: run one module and print its report as the last stdout line. */
async function runChild(modulePath: string, cases: number, seed: number): Promise<void> {
  const module = (await import(pathToFileURL(modulePath).href)) as { runFuzz?: (options: { cases: number; seed: number }) => Promise<FuzzRunResult[]> };
  if (typeof module.runFuzz !== "function") throw new Error(`${modulePath} exports no runFuzz`);
  const started = performance.now();
  const results = await module.runFuzz({ cases, seed });
  const report: ChildReport = { results, seconds: (performance.now() - started) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

/** Runs a module in a child process (optionally one target); undefined and a reason when it failed or timed out. */
function runInChild(modulePath: string, cases: number, seed: number, target: string | undefined, timeoutSeconds: number): Promise<ChildReport | string> {
  return new Promise((resolve) => {
    const script = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, [...process.execArgv, script, "--child", modulePath, "--cases", String(cases), "--seed", String(seed)], {
      env: { ...process.env, TICKSCOPE_FUZZ_TARGET: target ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeoutSeconds * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("{")) {
        resolve(JSON.parse(last) as ChildReport);
        return;
      }
      resolve(signal === "SIGKILL" ? `no result within ${timeoutSeconds} s (hang?), killed` : `child exited with ${code ?? signal}: ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
    });
  });
}

function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join("  ");
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  if (options.child !== undefined) {
    await runChild(options.child, options.cases, options.seed);
    return;
  }
  const modules = discoverModules();
  const rows: string[][] = [];
  const escapes: FuzzEscape[] = [];
  let totalCases = 0;
  let peakRss = 0;
  const started = performance.now();
  console.log(`tickscope fuzz: ${modules.length} module(s), ${options.cases} cases per target, seed ${options.seed}`);
  for (const module of modules) {
    const moduleName = module.label.split("/")[1];
    const matchesModule = options.target === undefined || options.target === moduleName || options.target === module.label;
    const listing = await runInChild(module.path, 0, options.seed, undefined, Math.min(options.timeoutSeconds, 600));
    if (typeof listing === "string") {
      escapes.push({ target: module.label, seed: options.seed, message: `cannot load: ${listing}` });
      rows.push([module.label, "-", "-", "load failed", "-"]);
      continue;
    }
    const names = listing.results.map((result) => result.target).filter((name) => matchesModule || name === options.target);
    const done = new Set<string>();
    for (const name of names) {
      if (done.has(name)) continue;
      const report = await runInChild(module.path, options.cases, options.seed, name, options.timeoutSeconds);
      if (typeof report === "string") {
        escapes.push({ target: name, seed: options.seed, message: report });
        rows.push([`${module.label}:${name}`, "-", "-", "1 (run failed)", "-"]);
        done.add(name);
        continue;
      }
      // a module that ignores TICKSCOPE_FUZZ_TARGET ran every target: share its time
      const ran = report.results.filter((result) => !done.has(result.target) && (names.includes(result.target) || report.results.length === 1));
      const shared = ran.length > 1;
      const ranCases = ran.reduce((sum, result) => sum + result.cases, 0);
      for (const result of ran) {
        done.add(result.target);
        totalCases += result.cases;
        escapes.push(...result.escapes);
        const rate = report.seconds > 0 ? Math.round(ranCases / report.seconds) : 0;
        rows.push([
          `${module.label}:${result.target}`,
          String(result.cases),
          `${rate.toLocaleString("en-US")}${shared ? " (module)" : ""}`,
          String(result.escapes.length),
          `${(report.peakRssBytes / 1048576).toFixed(0)} MB`,
        ]);
      }
      peakRss = Math.max(peakRss, report.peakRssBytes);
      if (shared) break;
    }
  }
  const header = ["target", "cases", "cases/s", "escapes", "peak RSS"];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index].length)));
  console.log(formatRow(header, widths));
  for (const row of rows) console.log(formatRow(row, widths));
  const seconds = (performance.now() - started) / 1000;
  console.log(`total: ${totalCases.toLocaleString("en-US")} cases in ${seconds.toFixed(1)} s, ${escapes.length} escape(s), peak RSS ${(peakRss / 1048576).toFixed(0)} MB (largest child)`);
  for (const escape of escapes.slice(0, 50)) {
    console.log(`ESCAPE ${escape.target} seed ${escape.seed}: ${escape.message}`);
    console.log(`  reproduce: pnpm fuzz --target ${escape.target} --seed ${escape.seed} --cases 1`);
  }
  if (escapes.length > 50) console.log(`... and ${escapes.length - 50} more`);
  process.exitCode = escapes.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`fuzz: ${(error as Error).message}`);
  process.exitCode = 2;
});

