/**
 * Fleet bench: captures per second through `tickscope fleet` with 1, 2 and 4
 * worker processes on this machine (issue 18). Simulated arena captures
 * (default 40: 6 players, 10 s each) are submitted (in this process: hashing
 * and queueing are in the figure) to a fresh BullMQ queue; the clock runs from
 * the submit until every job is completed (the workers are started and ready
 * before, so their start-up is not in the figure). Also
 * the workers' summed CPU time (from /proc) and, for reference, one
 * `analyze` pass over the same captures in-process-free (a child process).
 *
 *   node --import ./packages/cli/src/test-support/source-worker-hooks.mjs packages/cli/bench/fleet.bench.ts
 *   ... fleet.bench.ts --captures 40 --players 6 --duration-ms 10000 --workers 1,2,4
 *
 * Redis: TICKSCOPE_TEST_REDIS_URL (or TICKSCOPE_REDIS_URL) when set; otherwise a throwaway
 * `redis-server` on a free loopback port, stopped at the end. Workers run the CLI from its
 * TypeScript sources (tsx), or the built CLI with --built (packages/cli/dist/bundle/bin.js).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { submitFleetJobs } from "../src/fleet/fleet-submit.js";
import { connectionOptionsFor } from "../src/fleet/redis-connection.js";
import { parseRedisUrl } from "../src/fleet/redis-url.js";
import { mergeableAnalyses, writeSimulatedCaptures } from "../src/fleet/test-support/fleet-test-support.js";
import { fileSha256 } from "../src/partial-file.js";

const { values } = parseArgs({
  options: {
    captures: { type: "string", default: "40" },
    players: { type: "string", default: "6" },
    "duration-ms": { type: "string", default: "10000" },
    workers: { type: "string", default: "1,2,4" },
    built: { type: "boolean", default: false },
  },
});
const captureCount = Number(values.captures);
const workerCounts = values.workers!.split(",").map(Number);
const repositoryRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const builtBinary = join(repositoryRoot, "packages/cli/dist/bundle/bin.js");
const sourceBinary = join(repositoryRoot, "packages/cli/src/bin.ts");
const sourceHooks = new URL("../src/test-support/source-worker-hooks.mjs", import.meta.url).href;
const cliArguments = values.built ? [builtBinary] : ["--import", sourceHooks, sourceBinary];
if (values.built && !existsSync(builtBinary)) throw new Error("--built needs the built CLI (pnpm build)");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** User + system CPU seconds of a live process, from /proc (0 where /proc is missing). */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function startCli(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...cliArguments, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  return { child, stderr: () => stderr, exited: new Promise((done) => child.on("exit", (code) => done(code))) };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

let redisServer: ChildProcess | undefined;
let redisUrl = process.env.TICKSCOPE_TEST_REDIS_URL ?? process.env.TICKSCOPE_REDIS_URL;
if (redisUrl === undefined) {
  const port = await freePort();
  redisServer = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  redisUrl = `redis://127.0.0.1:${port}`;
}
const endpoint = parseRedisUrl(redisUrl);
const loadBefore = loadavg().map((load) => load.toFixed(1)).join(" ");
const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-bench-"));
try {
  const captureDirectory = join(directory, "captures");
  mkdirSync(captureDirectory);
  const captures = writeSimulatedCaptures(captureDirectory, captureCount, { players: Number(values.players), durationMs: Number(values["duration-ms"]) });
  const megabytes = captures.reduce((sum, path) => sum + readFileSync(path).length, 0) / 1e6;
  const analyses = await mergeableAnalyses(arenaPath);
  console.log(`fleet bench: ${captureCount} simulated captures (${values.players} players, ${values["duration-ms"]} ms each, ${megabytes.toFixed(1)} MB), analyses ${analyses.join(",")}, Redis ${endpoint.display}, workers from ${values.built ? "dist" : "sources (tsx)"}`);

  // reference: one analyze pass over every capture in one process (start-up included)
  const singleStarted = performance.now();
  const single = startCli(["analyze", ...captures, "--protocol", arenaPath, "--only", analyses.join(","), "--threads", "1", "--format", "json", "--out", join(directory, "single"), "--quiet"]);
  let singleCpu = 0;
  const sampler = setInterval(() => (singleCpu = Math.max(singleCpu, cpuSecondsOf(single.child.pid!))), 50);
  if ((await single.exited) !== 0) throw new Error(`analyze failed: ${single.stderr()}`);
  clearInterval(sampler);
  const singleSeconds = (performance.now() - singleStarted) / 1000;

  const rows: { workers: number; seconds: number; capturesPerSecond: number; cpuSeconds: number }[] = [];
  for (const workers of workerCounts) {
    const queueName = `bench-${process.pid}-${workers}`;
    const out = join(directory, `partials-${workers}`);
    const processes = Array.from({ length: workers }, () => startCli(["fleet", "worker", "--redis", redisUrl!, "--queue", queueName, "--out", out]));
    await waitFor(() => processes.every((worker) => worker.stderr().includes("fleet worker: ready")), 120_000, `${workers} workers ready`);
    const cpuBefore = processes.map((worker) => cpuSecondsOf(worker.child.pid!));
    const started = performance.now();
    await submitFleetJobs({
      redis: endpoint,
      queueName,
      captures,
      analysis: {
        protocolPath: arenaPath,
        protocolSha256: await fileSha256(arenaPath),
        analyses,
        settings: {},
        recordedOptions: { only: analyses, serverPorts: [], failOn: null, serverLog: null, serverLogEvents: 0, keyFile: null },
      },
    });
    const queue = new Queue(queueName, { connection: connectionOptionsFor(endpoint, "command") });
    await waitFor(async () => {
      const counts = await queue.getJobCounts("completed", "failed");
      if (counts.failed! > 0) throw new Error(`a job failed: ${processes.map((worker) => worker.stderr()).join("\n")}`);
      return counts.completed === captureCount;
    }, 600_000, "every job completed");
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = processes.reduce((sum, worker, index) => sum + cpuSecondsOf(worker.child.pid!) - cpuBefore[index]!, 0);
    for (const worker of processes) worker.child.kill("SIGTERM");
    await Promise.all(processes.map((worker) => worker.exited));
    await queue.obliterate({ force: true });
    await queue.close();
    rows.push({ workers, seconds, capturesPerSecond: captureCount / seconds, cpuSeconds });
  }

  const base = rows[0]!;
  console.log("");
  console.log("| workers | wall s (submit → all done) | captures/s | speed-up vs first row | workers' CPU s | captures per CPU s |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) {
    console.log(
      `| ${row.workers} | ${row.seconds.toFixed(2)} | ${row.capturesPerSecond.toFixed(2)} | ${(row.capturesPerSecond / base.capturesPerSecond).toFixed(2)}× | ${row.cpuSeconds.toFixed(2)} | ${(captureCount / row.cpuSeconds).toFixed(2)} |`,
    );
  }
  console.log(`| analyze (1 process, 1 thread, start-up included) | ${singleSeconds.toFixed(2)} | ${(captureCount / singleSeconds).toFixed(2)} | | ${singleCpu.toFixed(2)} | ${(captureCount / singleCpu).toFixed(2)} |`);
  console.log(`(${availableParallelism()} cores; load average before/after: ${loadBefore} / ${loadavg().map((load) => load.toFixed(1)).join(" ")} — on a loaded machine the wall figures are the other processes' too; the CPU columns are this run's own)`);
} finally {
  rmSync(directory, { recursive: true, force: true });
  redisServer?.kill("SIGTERM");
}
