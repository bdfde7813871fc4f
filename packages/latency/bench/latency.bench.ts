/**
 * Benchmark of @tickscope/latency (run with `pnpm --filter @tickscope/latency bench`):
 * 1. messages/s through LatencyAnalyzer on a pre-generated synthetic match (analysis only);
 * 2. an end-to-end 100-player, 60 Hz, 30-minute match generated on the fly (≈ 16M datagrams,
 *    ≈ 27M messages), with wall time and peak RSS, and the same match generated without analysis,
 *    so the analyzer's own CPU time is the difference. Set LATENCY_BENCH_MINUTES to shorten it,
 *    LATENCY_BENCH_ROUNDS for the number of analyzer-only rounds (default 8; the machine is shared,
 *    so compare the median and best CPU-time throughput, not one round).
 */
import { LatencyAnalyzer } from "../src/index.js";
import { streamMatch } from "../src/test-support/streaming-match.js";
import { generateMatch, matchMessages } from "../src/test-support/synthetic-match.js";

/** CPU seconds (user + system) since `start`: the machine is shared, so wall time alone says little. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const usage = process.cpuUsage(start);
  return (usage.user + usage.system) / 1e6;
}

function rssMegabytes(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

const match = generateMatch({
  seed: 1,
  durationMs: 60_000,
  sessions: 40,
  spikes: [
    { kind: "lossBurst", startMs: 20_000, durationMs: 200, extraMs: 50 },
    { kind: "tickStall", startMs: 40_000, durationMs: 150 },
  ],
});
const messages = [...matchMessages(match)];
const rounds = Number(process.env.LATENCY_BENCH_ROUNDS ?? 8);
const perCpuSecond: number[] = [];
for (let round = 0; round < rounds; round++) {
  const analyzer = new LatencyAnalyzer();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const message of messages) analyzer.onMessage(message);
  const report = analyzer.finish();
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuSeconds(cpu);
  perCpuSecond.push(messages.length / cpuUsed);
  console.log(
    `analyzer only: ${messages.length} messages (${match.datagrams.length} datagrams, 40 sessions) in ${seconds.toFixed(3)} s wall, ` +
      `${cpuUsed.toFixed(3)} s CPU = ${Math.round(messages.length / seconds).toLocaleString("en-US")} messages/s wall, ` +
      `${Math.round(messages.length / cpuUsed).toLocaleString("en-US")} messages/CPU-second (round ${round + 1}, ${report.findings.length} findings)`,
  );
}

perCpuSecond.sort((a, b) => a - b);
console.log(
  `analyzer only over ${rounds} rounds: median ${Math.round(perCpuSecond[perCpuSecond.length >> 1]).toLocaleString("en-US")} messages/CPU-second, ` +
    `best ${Math.round(perCpuSecond[perCpuSecond.length - 1]).toLocaleString("en-US")}`,
);

const minutes = Number(process.env.LATENCY_BENCH_MINUTES ?? 30);
let peakRss = rssMegabytes();
let count = 0;
let datagrams = 0;
let lastPacket = -1;
const started = performance.now();
const cpuStart = process.cpuUsage();
const analyzer = new LatencyAnalyzer();
for (const message of streamMatch({ players: 100, durationSeconds: minutes * 60, serverHz: 60, clientHz: 30 })) {
  analyzer.onMessage(message);
  count += 1;
  if (message.packetIndex !== lastPacket) {
    lastPacket = message.packetIndex;
    datagrams += 1;
    if ((datagrams & 0xfffff) === 0) peakRss = Math.max(peakRss, rssMegabytes());
  }
}
const report = analyzer.finish();
peakRss = Math.max(peakRss, rssMegabytes());
const seconds = (performance.now() - started) / 1000;
const cpuUsed = cpuSeconds(cpuStart);
console.log(
  `end-to-end (generation + analysis): ${minutes} min, 100 players, 60 Hz: ${datagrams.toLocaleString("en-US")} datagrams, ${count.toLocaleString("en-US")} messages ` +
    `in ${seconds.toFixed(1)} s wall / ${cpuUsed.toFixed(1)} s CPU (${Math.round(count / seconds).toLocaleString("en-US")} messages/s wall, ` +
    `${Math.round(datagrams / seconds).toLocaleString("en-US")} datagrams/s), peak RSS ${peakRss.toFixed(0)} MB, ` +
    `${report.sessions.length} sessions, median RTT ${report.sessions[0]?.rttMs.p50} ms`,
);

// The same match without analysis: the generator's own cost, to subtract from the end-to-end CPU time.
const generationCpu = process.cpuUsage();
let generated = 0;
for (const message of streamMatch({ players: 100, durationSeconds: minutes * 60, serverHz: 60, clientHz: 30 })) {
  if (message.packetIndex >= 0) generated += 1;
}
const generationSeconds = cpuSeconds(generationCpu);
console.log(
  `generation only: ${generated.toLocaleString("en-US")} messages in ${generationSeconds.toFixed(1)} s CPU; analysis alone ≈ ${(cpuUsed - generationSeconds).toFixed(1)} s CPU ` +
    `= ${Math.round(count / Math.max(1e-9, cpuUsed - generationSeconds)).toLocaleString("en-US")} messages/CPU-second`,
);
