/**
 * Benchmarks of @tickscope/sim. Prints:
 *  1. pcapng writer throughput (packets/s, MB/s) — floor ≥ 1M packets/s;
 *  2. end-to-end simulation throughput (match model + network model + arena encoder + pcapng);
 *  3. a large match (default 1,000 players × 5 minutes) with its peak RSS — must stay < 500 MB.
 * Environment: BENCH_PLAYERS, BENCH_DURATION_MS, BENCH_OUT (write the large match's pcapng there),
 * BENCH_SKIP_LARGE=1 to skip part 3.
 *  4. the same match written through the role-mapped encoder (`--protocol`): arena and each protocol
 *     shape of examples/protocols (BENCH_SKIP_SHAPES=1 to skip).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ARENA_DEFINITION, createRoleMappedEncoder, createUdpEndpoint, FileSink, PcapngWriter, simulateMatch, type ByteSink } from "../src/index.js";

class CountingSink implements ByteSink {
  bytes = 0;
  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
  }
  close(): void {}
}

const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

/** Wall and CPU seconds of `action` (the machine is shared: CPU time is the fairer rate). */
function measure<T>(action: () => T): { value: T; wallSeconds: number; cpuSeconds: number } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const value = action();
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { value, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const rate = (count: number, seconds: number): string => (count / seconds >= 1e6 ? `${(count / seconds / 1e6).toFixed(2)}M` : (count / seconds).toFixed(0));

function benchWriter(): void {
  const packets = 2_000_000;
  const sink = new CountingSink();
  const writer = new PcapngWriter(sink);
  const client = createUdpEndpoint("100.64.0.1", 40000);
  const server = createUdpEndpoint("203.0.113.10", 7777);
  const payload = new Uint8Array(120).map((_, index) => index);
  const startUs = 1_767_225_600_000_000;
  const { wallSeconds, cpuSeconds } = measure(() => {
    for (let index = 0; index < packets; index++) {
      if ((index & 1) === 0) writer.writeUdp(startUs + index * 10, client, server, payload, 52);
      else writer.writeUdp(startUs + index * 10, server, client, payload, 64);
    }
    writer.close();
  });
  console.log(
    `pcapng writer: ${packets} packets (120-byte UDP payloads, IPv4, checksums): ${rate(packets, cpuSeconds)} packets/s per CPU-second (${rate(packets, wallSeconds)}/s wall), ${(sink.bytes / cpuSeconds / 1e6).toFixed(0)} MB/s; floor 1M packets/s`,
  );
}

function benchSimulation(): void {
  const sink = new CountingSink();
  const { value: result, wallSeconds, cpuSeconds } = measure(() => simulateMatch({ seed: 1, players: 200, durationMs: 20_000, tickRate: 30 }, { capture: sink }));
  console.log(
    `simulation end-to-end (200 players, 20 s, 30 Hz, arena encoder, pcapng): ${result.summary.packets} datagrams: ${rate(result.summary.packets, cpuSeconds)} datagrams/s per CPU-second (${rate(result.summary.packets, wallSeconds)}/s wall)`,
  );
}

function benchLargeMatch(): void {
  const players = Number(process.env.BENCH_PLAYERS ?? 1000);
  const durationMs = Number(process.env.BENCH_DURATION_MS ?? 300_000);
  const out = process.env.BENCH_OUT;
  const sink: ByteSink = out === undefined ? new CountingSink() : new FileSink(out);
  const start = performance.now();
  let lastReport = 0;
  const { value: result, wallSeconds, cpuSeconds } = measure(() => simulateMatch(
    { seed: 2, players, durationMs, tickRate: 20, inputRate: 20, snapshotRate: 20, entitiesPerSnapshot: 8, profileMix: { fibre: 2, cable: 3, dsl: 1, "4g": 2, "5g": 1, "wifi-congested": 1 }, cheats: Math.floor(players / 50) },
    {
      capture: sink,
      onProgress: (simulatedMs) => {
        if (simulatedMs - lastReport >= 60_000) {
          lastReport = simulatedMs;
          console.log(`  … ${(simulatedMs / 1000).toFixed(0)} s simulated, ${((performance.now() - start) / 1000).toFixed(0)} s elapsed, peak RSS ${rssMb().toFixed(0)} MB`);
        }
      },
    },
  ));
  console.log(
    `large match: ${players} players × ${durationMs / 1000} s (20 Hz ticks/inputs/snapshots, 8 entities per snapshot): ${result.summary.packets} datagrams, ${result.summary.serverCapturePackets} captured; ${cpuSeconds.toFixed(0)} CPU-s, ${wallSeconds.toFixed(0)} s wall = ${rate(result.summary.packets, cpuSeconds)} datagrams/s per CPU-second; peak RSS ${rssMb().toFixed(0)} MB (limit 500 MB)`,
  );
}

function benchShapes(): void {
  const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
  const shapes: [string, unknown][] = [["arena (role-mapped)", ARENA_DEFINITION]];
  for (const name of ["le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"]) shapes.push([name, JSON.parse(readFileSync(`${examples}${name}.json`, "utf8"))]);
  for (const [name, definition] of shapes) {
    const encoder = createRoleMappedEncoder(definition);
    const { value: result, wallSeconds, cpuSeconds } = measure(() => simulateMatch({ seed: 1, players: 50, durationMs: 20_000, tickRate: 30 }, { capture: new CountingSink(), encoder }));
    console.log(`  --protocol ${name} (50 players, 20 s, 30 Hz): ${result.summary.packets} datagrams: ${rate(result.summary.packets, cpuSeconds)} datagrams/s per CPU-second (${rate(result.summary.packets, wallSeconds)}/s wall)`);
  }
}

benchWriter();
benchSimulation();
if (process.env.BENCH_SKIP_SHAPES !== "1") benchShapes();
if (process.env.BENCH_SKIP_LARGE !== "1") benchLargeMatch();
