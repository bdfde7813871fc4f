import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMergeableAnalyzer } from "@tickscope/core";
import { simulateMatchToMemory } from "@tickscope/sim";
import type { AnalysisContext } from "../../analyses/analysis-adapter.js";
import { adapterFor, availableAnalyses } from "../../analyses/registry.js";
import type { AnalysisName } from "../../analysis-section.js";
import { loadProtocol } from "../../load-inputs.js";

/** The Redis of the fleet tests (CI starts one; unset: the tests that need it skip). */
export const TEST_REDIS_URL = process.env.TICKSCOPE_TEST_REDIS_URL;

/** Why the Redis tests skip, for the skipped test's name. */
export const REDIS_SKIP_REASON = "needs a Redis: set TICKSCOPE_TEST_REDIS_URL=redis://127.0.0.1:6390 (.ci/run starts redis-server there)";

/** A queue name no other test run uses. */
export function uniqueQueueName(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Options of the small simulated captures of the fleet tests. */
export interface SimulatedCaptureOptions {
  /** Players per match (default 2). */
  players?: number;
  /** Match length, ms (default 3000). */
  durationMs?: number;
  /** First seed (each capture adds its index; default 100). */
  firstSeed?: number;
  /** Players and length of capture `index` when it differs from the others (e.g. longer first jobs). */
  sizeOf?: (index: number) => { players?: number; durationMs?: number } | undefined;
}

/**
 * Writes `count` small simulated matches (`capture-00.pcapng`, …): different
 * seeds and server ports (7000 + i), so different sessions and contents, and
 * start times 60 s apart (capture i starts at 2026-01-01 + i minutes), so time
 * order is name order.
 */
export function writeSimulatedCaptures(directory: string, count: number, options: SimulatedCaptureOptions = {}): string[] {
  const paths: string[] = [];
  const startUs = Date.UTC(2026, 0, 1) * 1000;
  for (let index = 0; index < count; index += 1) {
    const match = simulateMatchToMemory({
      seed: (options.firstSeed ?? 100) + index,
      players: options.sizeOf?.(index)?.players ?? options.players ?? 2,
      durationMs: options.sizeOf?.(index)?.durationMs ?? options.durationMs ?? 3_000,
      tickRate: 20,
      profile: "cable",
      startUs: startUs + index * 60_000_000,
      // another server port per capture: the simulator numbers client addresses and ports by player,
      // so without it every capture would continue the same sessions
      regions: [{ name: "eu-central", latitude: 50.11, longitude: 8.68, serverPort: 7000 + index }],
    });
    const path = join(directory, `capture-${String(index).padStart(2, "0")}.pcapng`);
    writeFileSync(path, match.pcapng);
    paths.push(path);
  }
  return paths;
}

const binarySource = fileURLToPath(new URL("../../bin.ts", import.meta.url));
const sourceHooks = new URL("../../test-support/source-worker-hooks.mjs", import.meta.url).href;

/** A `tickscope` child process run from the TypeScript sources (tsx; @tickscope/* resolved to src/). */
export interface CliProcess {
  /** The child. */
  child: ChildProcess;
  /** Its stderr so far. */
  stderr(): string;
  /** Its stdout so far. */
  stdout(): string;
  /** Resolves with the exit code (or the signal's name) once it ends. */
  exited: Promise<number | string>;
}

/** Starts `tickscope <args>` from the sources as a real child process. */
export function startCli(args: readonly string[], environment: NodeJS.ProcessEnv = process.env): CliProcess {
  const child = spawn(process.execPath, ["--import", sourceHooks, binarySource, ...args], { stdio: ["ignore", "pipe", "pipe"], env: environment });
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

/** Waits until `condition` holds (checked every `intervalMs`), or throws after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The analyses whose analyzers can save and merge their state in this build
 * (`analyze --partial` refuses the others), in report order.
 */
export async function mergeableAnalyses(definitionPath: string): Promise<AnalysisName[]> {
  const { definition } = await loadProtocol(definitionPath);
  const context: AnalysisContext = { definition, regionOfSession: new Map(), sessions: [], clientLocations: new Map(), serverSites: {}, settings: {} };
  return availableAnalyses().filter((name) => isMergeableAnalyzer(adapterFor(name).create(context)));
}
