import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { DatagramContext } from "../src/datagram-decoder.js";
import { compileProtocol, type CompiledProtocol } from "../src/protocol/index.js";
import { firefallDefinition, generateFirefallDatagrams } from "../src/test-support/firefall-datagrams.js";

/**
 * `pnpm --filter @tickscope/core bench`: on 1M generated Firefall-style datagrams,
 * decode-only throughput of the compiled decoder and of the interpreter, then
 * end-to-end capture file -> packets (@tickscope/capture readCapture) -> decoded
 * messages. BENCH_DATAGRAMS changes the count; BENCH_ROUNDS the decode repeats
 * (the best round is reported: the machine is shared).
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

/** Writes the datagrams as a classic pcap (Ethernet/IPv4/UDP) file. */
async function writePcap(path: string, datagrams: Uint8Array[], serverToClient: boolean[]): Promise<void> {
  const stream = createWriteStream(path);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  stream.write(header);
  let chunk: Buffer[] = [];
  let chunkBytes = 0;
  const startSeconds = 1_430_590_982;
  for (let index = 0; index < datagrams.length; index++) {
    const payload = datagrams[index];
    const frameLength = 14 + 20 + 8 + payload.length;
    const record = Buffer.alloc(16 + frameLength);
    const tUs = index * 3000;
    record.writeUInt32LE(startSeconds + Math.floor(tUs / 1e6), 0);
    record.writeUInt32LE(tUs % 1e6, 4);
    record.writeUInt32LE(frameLength, 8);
    record.writeUInt32LE(frameLength, 12);
    record.writeUInt16BE(0x0800, 16 + 12);
    const ip = 16 + 14;
    record[ip] = 0x45;
    record.writeUInt16BE(20 + 8 + payload.length, ip + 2);
    record[ip + 8] = 64;
    record[ip + 9] = 17;
    const client = [192, 168, 1, 111];
    const server = [52, 16, 251, 62];
    record.set(serverToClient[index] ? server : client, ip + 12);
    record.set(serverToClient[index] ? client : server, ip + 16);
    const udp = ip + 20;
    record.writeUInt16BE(serverToClient[index] ? 59238 : 58637, udp);
    record.writeUInt16BE(serverToClient[index] ? 58637 : 59238, udp + 2);
    record.writeUInt16BE(8 + payload.length, udp + 4);
    record.set(payload, udp + 8);
    chunk.push(record);
    chunkBytes += record.length;
    if (chunkBytes > 1 << 22) {
      if (!stream.write(Buffer.concat(chunk))) await new Promise((resolve) => stream.once("drain", resolve));
      chunk = [];
      chunkBytes = 0;
    }
  }
  stream.write(Buffer.concat(chunk));
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

const { datagrams, serverToClient } = generateFirefallDatagrams(DATAGRAMS);
console.log(`protocol bench: ${format(datagrams.length)} generated Firefall-style datagrams, best of ${ROUNDS} rounds`);
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

// End to end: capture file -> readCapture -> compiled decoder -> messages.
type ReadCapture = (source: string, options: { onPacket(packet: { transport: string; sourceAddress: string; payload: Uint8Array; index: number; tUs: number; wireLength: number }): void }) => Promise<unknown>;
let readCapture: ReadCapture | undefined;
try {
  readCapture = ((await import("../../capture/src/read-capture.js")) as { readCapture: ReadCapture }).readCapture;
} catch (error) {
  console.log(`  end-to-end: skipped (@tickscope/capture not available: ${(error as Error).message})`);
}
if (readCapture !== undefined) {
  const directory = mkdtempSync(join(tmpdir(), "tickscope-protocol-bench-"));
  try {
    const path = join(directory, "firefall-generated.pcap");
    await writePcap(path, datagrams, serverToClient);
    // Reading alone (for attribution: how much of end-to-end is the capture reader).
    {
      let packets = 0;
      const start = performance.now();
      const cpu = process.cpuUsage();
      await readCapture(path, {
        onPacket() {
          packets += 1;
        },
      });
      const used = process.cpuUsage(cpu);
      const seconds = (performance.now() - start) / 1000;
      console.log(`  readCapture alone: ${format(packets)} packets in ${seconds.toFixed(3)} s = ${(packets / seconds / 1e6).toFixed(2)} M packets/s; per CPU-second: ${(packets / ((used.user + used.system) / 1e6) / 1e6).toFixed(2)} M packets/s`);
    }
    const protocol = compileProtocol(firefallDefinition());
    const context: DatagramContext = { sessionId: "bench", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 };
    let messages = 0;
    let anomalies = 0;
    let packets = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    await readCapture(path, {
      onPacket(packet) {
        if (packet.transport !== "udp") return;
        packets += 1;
        context.direction = packet.sourceAddress.startsWith("192.168.") ? "clientToServer" : "serverToClient";
        context.packetIndex = packet.index;
        context.tUs = packet.tUs;
        context.packetWireLength = packet.wireLength;
        protocol.decodeDatagram(packet.payload, context, () => (messages += 1), () => (anomalies += 1));
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (anomalies > 0 || packets !== datagrams.length) throw new Error(`end-to-end: ${anomalies} anomalies, ${packets} packets`);
    console.log(`  end-to-end capture -> messages: ${format(messages)} messages from ${format(packets)} packets in ${seconds.toFixed(3)} s = ${(messages / seconds / 1e6).toFixed(2)} M messages/s; per CPU-second: ${(messages / cpuSeconds / 1e6).toFixed(2)} M messages/s`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
console.log(`  load average while running: ${(await import("node:os")).loadavg().map((value) => value.toFixed(1)).join(" ")} on ${(await import("node:os")).cpus().length} cores`);
console.log(`  floors: compiled >= 5 M messages/s decode-only${(results.compiled ?? 0) >= 5e6 ? " (met per CPU-second)" : " (NOT met on this run, per CPU-second)"}; end-to-end >= 1 M messages/s`);
