/**
 * Live bench of `tickscope watch -`: a simulated match (default 100 players at 60 Hz, 60 s,
 * a 150 ms latency spike on player 1 at 40 s) is written to the watcher's stdin paced at real
 * time (each pcapng block when the wall clock reaches its timestamp), and the bench prints how
 * long after the spike started — in wall-clock ms and in capture time — the alert arrived.
 *
 *   npx tsx packages/cli/bench/watch-live.bench.ts [--players 100] [--seconds 60] [--spike-at 40]
 *
 * Runs `node packages/cli/dist/bundle/bin.js watch -` when the built CLI has the `watch` command
 * (build with `npx tsc -p packages/cli/tsconfig.build.json`), else this file in child mode,
 * which calls `runWatch` on its stdin the same way.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const selfPath = fileURLToPath(import.meta.url);
const cliRoot = dirname(dirname(selfPath));
const binPath = join(cliRoot, "dist", "bundle", "bin.js");
const arenaPath = join(cliRoot, "..", "..", "examples", "protocols", "arena.json");
const START_US = 1_767_225_600_000_000;

async function childMode(): Promise<void> {
  const { runWatch } = await import("../src/watch/run-watch.js");
  const { formatAlertLine } = await import("../src/watch/watch-alert.js");
  const summary = await runWatch({ source: "-", protocolPath: arenaPath, serverPorts: [7777], onAlert: (alert) => void process.stdout.write(formatAlertLine(alert)) });
  process.stderr.write(`watched ${summary.packets} packets; alerts ${JSON.stringify(summary.alerts)}\n`);
}

/** Byte ranges and timestamps (µs) of the pcapng blocks; header blocks get timestamp 0. */
function pcapngBlocks(bytes: Uint8Array): { ends: Uint32Array; timesUs: Float64Array; count: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ends = new Uint32Array(Math.ceil(bytes.length / 40));
  const timesUs = new Float64Array(ends.length);
  let count = 0;
  for (let offset = 0; offset + 12 <= bytes.length; ) {
    const type = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    let timeUs = 0;
    if (type === 6) timeUs = (view.getUint32(offset + 12, true) * 2 ** 32 + view.getUint32(offset + 16, true)) / 1000; // if_tsresol 9 (ns)
    offset += length;
    ends[count] = offset;
    timesUs[count] = timeUs;
    count += 1;
  }
  return { ends, timesUs, count };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: "boolean" }, players: { type: "string" }, seconds: { type: "string" }, "spike-at": { type: "string" } } });
  if (values.child === true) return childMode();
  const players = Number(values.players ?? 100);
  const seconds = Number(values.seconds ?? 60);
  const spikeAtSeconds = Number(values["spike-at"] ?? 40);
  const path = `/tmp/tickscope-watch-live-${players}p-${seconds}s-${spikeAtSeconds}.pcapng`;
  if (!existsSync(path)) {
    const { writeMatchCapture } = await import("@tickscope/sim");
    process.stderr.write(`simulating ${players} players for ${seconds} s → ${path}\n`);
    writeMatchCapture(
      {
        seed: "watch-live",
        players,
        durationMs: seconds * 1000,
        startUs: START_US,
        networkEvents: [{ kind: "latencySpike", startMs: spikeAtSeconds * 1000, durationMs: 3000, extraDelayMs: 150, playerIds: [1] }],
      },
      { out: `${path}.partial` },
    );
    renameSync(`${path}.partial`, path);
  }
  const bytes = readFileSync(path);
  const blocks = pcapngBlocks(bytes);
  const eventStartUs = START_US + spikeAtSeconds * 1e6;
  const useBin = existsSync(binPath) && (spawnSync(process.execPath, [binPath, "watch", "--help"], { encoding: "utf8" }).stdout ?? "").includes("--idle-exit");
  const command = useBin
    ? [binPath, "watch", "-", "--protocol", arenaPath, "--server-port", "7777"]
    : [...process.execArgv, selfPath, "--child"];
  console.log(`pacing ${(bytes.length / 1e6).toFixed(0)} MB (${blocks.count} blocks, ${players} players, ${seconds} s) at real time into ${useBin ? "node dist/bundle/bin.js watch -" : "runWatch (child; the CLI's dist has no watch command yet)"}`);
  const child = spawn(process.execPath, command, { stdio: ["pipe", "pipe", "inherit"] });
  let wallAtEventMs: number | undefined;
  let buffered = "";
  const alertsSeen: string[] = [];
  let spikeReported = false;
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.length === 0) continue;
      const alert = JSON.parse(line) as { alert: string; session: string; tUs: number; detectedAtUs: number; summary: string };
      alertsSeen.push(`${alert.alert} ${alert.session}: ${alert.summary}`);
      if (!spikeReported && alert.alert === "latencySpike" && alert.session.startsWith("udp:100.64.0.2:") && wallAtEventMs !== undefined) {
        spikeReported = true;
        const wallMs = performance.now() - wallAtEventMs;
        console.log(`spike alert: ${wallMs.toFixed(0)} ms wall clock after the spike started being streamed; detectedAtUs − start = ${((alert.detectedAtUs - eventStartUs) / 1000).toFixed(0)} ms capture time ${wallMs <= 1000 ? "(within 1 s)" : "(LATE)"}`);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const firstUs = blocks.timesUs.find((time) => time > 0)!;
  const wallStartMs = performance.now();
  let next = 0;
  let written = 0;
  let maxLagMs = 0;
  while (next < blocks.count) {
    const nowUs = firstUs + (performance.now() - wallStartMs) * 1000;
    let last = next;
    while (last < blocks.count && blocks.timesUs[last]! <= nowUs) last += 1;
    if (last > next) {
      const from = next === 0 ? 0 : blocks.ends[next - 1]!;
      const to = blocks.ends[last - 1]!;
      if (wallAtEventMs === undefined && blocks.timesUs[last - 1]! >= eventStartUs) wallAtEventMs = performance.now();
      if (!child.stdin.write(bytes.subarray(from, to))) await new Promise((resolve) => child.stdin.once("drain", resolve));
      written = to;
      maxLagMs = Math.max(maxLagMs, (nowUs - blocks.timesUs[last - 1]!) / 1000);
      next = last;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.stdin.end();
  const code = await exited;
  const wallSeconds = (performance.now() - wallStartMs) / 1000;
  console.log(`streamed ${(written / 1e6).toFixed(0)} MB in ${wallSeconds.toFixed(1)} s wall (capture ${((blocks.timesUs[blocks.count - 1]! - firstUs) / 1e6).toFixed(1)} s); watcher exit ${code}; max pacing lag ${maxLagMs.toFixed(0)} ms`);
  console.log(`${alertsSeen.length} alert(s):\n  ${alertsSeen.join("\n  ")}`);
  if (!spikeReported) console.log("the spike alert did NOT arrive");
}

await main();
