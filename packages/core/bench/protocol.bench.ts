import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { DatagramContext } from "../src/datagram-decoder.js";
import { compileProtocol, type CompiledProtocol, type ProtocolDefinition } from "../src/protocol/index.js";
import { firefallDefinition, generateFirefallDatagrams } from "../src/test-support/firefall-datagrams.js";

/**
 * `pnpm --filter @tickscope/core bench`: on 1M generated Firefall-style datagrams,
 * decode-only throughput of the compiled decoder and of the interpreter, then
 * end-to-end capture file -> `runCapturePipeline` of @tickscope/capture (packets,
 * flows, sessions) -> decoded messages, for a PCAPNG and a classic pcap file
 * (pcap-parser and builtin readers), with `readCapture` alone for attribution;
 * and on 200k arena-shaped datagrams, decode-only with all fields against roles only.
 * Wall-clock and per-CPU-second (process.cpuUsage) figures. BENCH_DATAGRAMS
 * changes the count; BENCH_ROUNDS the repeats (the best round is reported: the
 * machine is shared).
 */
const DATAGRAMS = Number(process.env.BENCH_DATAGRAMS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Totals {
  messages: number;
  anomalies: number;
  bytes: number;
}

function decodeAll(protocol: CompiledProtocol, datagrams: Uint8Array[], serverToClient: boolean[]): Totals {
  const context: DatagramContext = { sessionId: "bench", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 };
  const totals: Totals = { messages: 0, anomalies: 0, bytes: 0 };
  const onMessage = (): void => {
    totals.messages += 1;
  };
  const onAnomaly = (): void => {
    totals.anomalies += 1;
  };
  for (let index = 0; index < datagrams.length; index++) {
    context.packetIndex = index;
    context.direction = serverToClient[index] ? "serverToClient" : "clientToServer";
    totals.bytes += datagrams[index].length;
    protocol.decodeDatagram(datagrams[index], context, onMessage, onAnomaly);
  }
  return totals;
}

function format(count: number): string {
  return count.toLocaleString("en-US");
}

const CLIENT_ADDRESS = [192, 168, 1, 111];
const SERVER_ADDRESS = [52, 16, 251, 62];
const CLIENT_PORT = 58637;
const SERVER_PORT = 25000;
const START_US = 1_430_590_982_000_000;

/** One Ethernet/IPv4/UDP frame carrying `payload`. */
function frame(payload: Uint8Array, serverToClient: boolean): Buffer {
  const frameBytes = Buffer.alloc(14 + 20 + 8 + payload.length);
  frameBytes.writeUInt16BE(0x0800, 12);
  const ip = 14;
  frameBytes[ip] = 0x45;
  frameBytes.writeUInt16BE(20 + 8 + payload.length, ip + 2);
  frameBytes[ip + 8] = 64;
  frameBytes[ip + 9] = 17;
  frameBytes.set(serverToClient ? SERVER_ADDRESS : CLIENT_ADDRESS, ip + 12);
  frameBytes.set(serverToClient ? CLIENT_ADDRESS : SERVER_ADDRESS, ip + 16);
  const udp = ip + 20;
  frameBytes.writeUInt16BE(serverToClient ? SERVER_PORT : CLIENT_PORT, udp);
  frameBytes.writeUInt16BE(serverToClient ? CLIENT_PORT : SERVER_PORT, udp + 2);
  frameBytes.writeUInt16BE(8 + payload.length, udp + 4);
  frameBytes.set(payload, udp + 8);
  return frameBytes;
}

/** Writes the datagrams as a classic pcap and a PCAPNG (EPB) file, Ethernet/IPv4/UDP, one datagram every 3 ms. */
async function writeCaptures(pcapPath: string, pcapngPath: string, datagrams: Uint8Array[], serverToClient: boolean[]): Promise<void> {
  const pcap = createWriteStream(pcapPath);
  const pcapng = createWriteStream(pcapngPath);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  pcap.write(header);
  const sectionHeader = Buffer.alloc(28);
  sectionHeader.writeUInt32LE(0x0a0d0d0a, 0);
  sectionHeader.writeUInt32LE(28, 4);
  sectionHeader.writeUInt32LE(0x1a2b3c4d, 8);
  sectionHeader.writeUInt16LE(1, 12);
  sectionHeader.writeBigInt64LE(-1n, 16);
  sectionHeader.writeUInt32LE(28, 24);
  const interfaceDescription = Buffer.alloc(20);
  interfaceDescription.writeUInt32LE(1, 0);
  interfaceDescription.writeUInt32LE(20, 4);
  interfaceDescription.writeUInt16LE(1, 8);
  interfaceDescription.writeUInt32LE(20, 16);
  pcapng.write(Buffer.concat([sectionHeader, interfaceDescription]));
  let pcapChunk: Buffer[] = [];
  let pcapngChunk: Buffer[] = [];
  let chunkBytes = 0;
  const flush = async (): Promise<void> => {
    pcap.write(Buffer.concat(pcapChunk));
    pcapng.write(Buffer.concat(pcapngChunk));
    pcapChunk = [];
    pcapngChunk = [];
    chunkBytes = 0;
    for (const stream of [pcap, pcapng]) if (stream.writableNeedDrain) await new Promise((resolve) => stream.once("drain", resolve));
  };
  for (let index = 0; index < datagrams.length; index++) {
    const frameBytes = frame(datagrams[index], serverToClient[index]);
    const tUs = START_US + index * 3000;
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(tUs / 1e6), 0);
    record.writeUInt32LE(tUs % 1e6, 4);
    record.writeUInt32LE(frameBytes.length, 8);
    record.writeUInt32LE(frameBytes.length, 12);
    pcapChunk.push(record, frameBytes);
    const blockLength = 32 + ((frameBytes.length + 3) & ~3);
    const block = Buffer.alloc(blockLength);
    block.writeUInt32LE(6, 0);
    block.writeUInt32LE(blockLength, 4);
    block.writeUInt32LE(Math.floor(tUs / 4294967296), 12);
    block.writeUInt32LE(tUs % 4294967296, 16);
    block.writeUInt32LE(frameBytes.length, 20);
    block.writeUInt32LE(frameBytes.length, 24);
    frameBytes.copy(block, 28);
    block.writeUInt32LE(blockLength, blockLength - 4);
    pcapngChunk.push(block);
    chunkBytes += record.length + frameBytes.length;
    if (chunkBytes > 1 << 22) await flush();
  }
  await flush();
  await Promise.all(
    [pcap, pcapng].map((stream) => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))),
  );
}

let { datagrams, serverToClient } = generateFirefallDatagrams(DATAGRAMS);
const datagramCount = datagrams.length;
console.log(`protocol bench: ${format(datagramCount)} generated Firefall-style datagrams, best of ${ROUNDS} rounds`);

// The capture files for the end-to-end part are written first, so the generated
// datagrams (1M small buffers, ~100 MB of heap the real pipeline never holds) can
// be released before it: they would otherwise slow every major GC of the
// end-to-end runs and measure the bench rather than the pipeline.
type CaptureModule = typeof import("../../capture/src/index.js");
let capture: CaptureModule | undefined;
try {
  capture = (await import("../../capture/src/index.js")) as CaptureModule;
} catch (error) {
  console.log(`  end-to-end: skipped (@tickscope/capture not available: ${(error as Error).message})`);
}
const directory = mkdtempSync(join(tmpdir(), "tickscope-protocol-bench-"));
const paths = { pcapng: join(directory, "firefall-generated.pcapng"), pcap: join(directory, "firefall-generated.pcap") };
if (capture !== undefined) await writeCaptures(paths.pcap, paths.pcapng, datagrams, serverToClient);
const results: Record<string, number> = {};
for (const mode of ["compiled", "interpreted"] as const) {
  const protocol = compileProtocol(firefallDefinition(), { mode });
  decodeAll(protocol, datagrams.slice(0, 100_000), serverToClient); // warm-up
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let totals: Totals = { messages: 0, anomalies: 0, bytes: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    totals = decodeAll(protocol, datagrams, serverToClient);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (performance.now() - start) / 1000);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
  }
  if (totals.anomalies > 0) throw new Error(`${totals.anomalies} anomalies in generated data`);
  results[mode] = totals.messages / bestCpu;
  console.log(
    `  ${mode.padEnd(11)} decode-only: ${format(totals.messages)} messages in ${best.toFixed(3)} s = ${(totals.messages / best / 1e6).toFixed(2)} M messages/s (${(datagrams.length / best / 1e6).toFixed(2)} M datagrams/s, ${(totals.bytes / best / 1e6).toFixed(0)} MB/s); per CPU-second: ${(totals.messages / bestCpu / 1e6).toFixed(2)} M messages/s`,
  );
}

// Roles only (`fields: "roles"`, what a thread without bandwidth decodes) against all fields, on
// arena-shaped datagrams (the reference shooter: snapshots of 16 entities, inputs of 3 frames): Firefall's
// messages have no arrays a roles-only decoder skips, so it is the same decoder there.
{
  const arena = JSON.parse(readFileSync(new URL("../../../examples/protocols/arena.json", import.meta.url), "utf8")) as ProtocolDefinition;
  const encoder = compileProtocol(arena);
  const count = Math.min(DATAGRAMS, 200_000);
  const arenaDatagrams: Uint8Array[] = [];
  const arenaServerToClient: boolean[] = [];
  for (let index = 0; index < count; index++) {
    const header = { protocolId: 0x41524d41, sequence: index & 0xffff, ack: index & 0xffff, ackBits: 0xffffffff, sendTimeUs: index * 16_000 };
    if (index % 2 === 0) {
      const entities = Array.from({ length: 16 }, (_, entity) => ({ entityId: entity, x: ((index + entity) % 4000) - 2000, y: entity, z: 1, yaw: 1, velocityX: 2, velocityY: -2, velocityZ: 0, health: 100 }));
      arenaDatagrams.push(encoder.encodeDatagram([{ type: "snapshot", fields: { tick: index, lastProcessedInputSequence: index, entities } }], { header }));
      arenaServerToClient.push(true);
    } else {
      const frame = { moveX: 0.5, moveY: -0.5, aimYaw: (index % 600) / 100, aimPitch: 0.1, buttons: index & 0xff };
      arenaDatagrams.push(encoder.encodeDatagram([{ type: "input", fields: { inputSequence: index, reportedRttMs: 40, inputs: [frame, frame, frame] } }], { header }));
      arenaServerToClient.push(false);
    }
  }
  // "roles, reused": entity roles rewritten in place (`entityRoles: "reused"`), what the CLI's passes decode with.
  for (const [label, options] of [
    ["all", { fields: "all" }],
    ["roles", { fields: "roles" }],
    ["roles, reused", { fields: "roles", entityRoles: "reused" }],
  ] as const) {
    const fields = label;
    const protocol = compileProtocol(arena, options);
    decodeAll(protocol, arenaDatagrams.slice(0, 20_000), arenaServerToClient);
    let bestCpu = Number.POSITIVE_INFINITY;
    let totals: Totals = { messages: 0, anomalies: 0, bytes: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const cpu = process.cpuUsage();
      totals = decodeAll(protocol, arenaDatagrams, arenaServerToClient);
      const used = process.cpuUsage(cpu);
      bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
    }
    if (totals.anomalies > 0) throw new Error(`${totals.anomalies} anomalies in generated arena data`);
    console.log(`  arena decode-only, fields ${fields.padEnd(13)}: ${format(totals.messages)} messages (8 entities per datagram on average) in ${bestCpu.toFixed(3)} CPU-s = ${(totals.messages / bestCpu / 1e6).toFixed(2)} M messages per CPU-second`);
  }
}

// End to end: capture file -> @tickscope/capture runCapturePipeline (packets, flows,
// sessions) -> compiled decoder -> GameMessage per message, for PCAPNG and classic pcap.
datagrams = [];
serverToClient = [];
const endToEnd: Record<string, { wall: number; cpu: number }> = {};
if (capture !== undefined) {
  const { readCapture, runCapturePipeline } = capture;
  try {
    const inputs = [
      { label: "pcapng", path: paths.pcapng, engine: "builtin" as const },
      { label: "pcap (pcap-parser)", path: paths.pcap, engine: "pcap-parser" as const },
      { label: "pcap (builtin)", path: paths.pcap, engine: "builtin" as const },
    ];
    const protocol = compileProtocol(firefallDefinition());
    for (const input of inputs) {
      // Reading alone (for attribution: how much of end-to-end is the capture reader).
      let bestRead = { wall: 0, cpu: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        let packets = 0;
        const start = performance.now();
        const cpu = process.cpuUsage();
        await readCapture(input.path, {
          pcapEngine: input.engine,
          onPacket() {
            packets += 1;
          },
        });
        const used = process.cpuUsage(cpu);
        const rate = { wall: packets / ((performance.now() - start) / 1000), cpu: packets / ((used.user + used.system) / 1e6) };
        if (packets !== datagramCount) throw new Error(`readCapture ${input.label}: ${packets} packets`);
        if (rate.wall > bestRead.wall) bestRead = rate;
      }
      console.log(`  readCapture alone, ${input.label.padEnd(18)}: ${(bestRead.wall / 1e6).toFixed(2)} M packets/s; per CPU-second: ${(bestRead.cpu / 1e6).toFixed(2)} M packets/s`);
      let best = { wall: 0, cpu: 0, seconds: 0 };
      let messages = 0;
      for (let round = 0; round < ROUNDS; round++) {
        messages = 0;
        const start = performance.now();
        const cpu = process.cpuUsage();
        const result = await runCapturePipeline({
          sources: [input.path],
          decoder: protocol,
          pcapEngine: input.engine,
          analyzers: [
            {
              name: "count",
              onMessage() {
                messages += 1;
              },
              finish: () => messages,
            },
          ],
        });
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        if (Object.keys(result.decodeAnomalies).length > 0 || result.datagrams !== datagramCount) {
          throw new Error(`end-to-end ${input.label}: anomalies ${JSON.stringify(result.decodeAnomalies)}, ${result.datagrams} datagrams`);
        }
        const rate = { wall: messages / seconds, cpu: messages / ((used.user + used.system) / 1e6), seconds };
        if (rate.wall > best.wall) best = rate;
      }
      endToEnd[input.label] = best;
      console.log(
        `  end-to-end ${input.label.padEnd(18)} capture -> messages: ${format(messages)} messages from ${format(datagramCount)} packets in ${best.seconds.toFixed(3)} s = ${(best.wall / 1e6).toFixed(2)} M messages/s; per CPU-second: ${(best.cpu / 1e6).toFixed(2)} M messages/s`,
      );
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
} else rmSync(directory, { recursive: true, force: true });
console.log(`  load average while running: ${(await import("node:os")).loadavg().map((value) => value.toFixed(1)).join(" ")} on ${(await import("node:os")).cpus().length} cores`);
const met = (value: number | undefined, floor: number): string => (value !== undefined && value >= floor ? "met" : "NOT met on this run");
console.log(
  `  floors: compiled >= 5 M messages/s decode-only (${met(results.compiled, 5e6)} per CPU-second); end-to-end >= 1 M messages/s (` +
    Object.entries(endToEnd)
      .map(([label, rate]) => `${label}: ${met(rate.wall, 1e6)} wall-clock, ${met(rate.cpu, 1e6)} per CPU-second`)
      .join("; ") +
    ")",
);
