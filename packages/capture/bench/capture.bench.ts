/**
 * Capture throughput on a generated 1,000,000-packet capture (Ethernet/IPv4/UDP,
 * 60–140-byte payloads), written to a temp dir as pcap and pcapng:
 * packets/s and MB/s to UDP payload for the pcapng reader, the pcap-parser
 * engine and the builtin pcap engine, the full pipeline (flows + sessions +
 * one analyzer), plus peak RSS. Each path runs twice (round 1 includes JIT
 * warm-up).
 *
 *   pnpm --filter @tickscope/capture bench     (or: npx tsx bench/capture.bench.ts [packets])
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCapture, runCapturePipeline, type PcapEngine } from "../src/index.js";

// usage: capture.bench.ts [packets] [--pcapng-only]   (internal: --generate <dir> <packets> <pcapng-only>)
const generateMode = process.argv[2] === "--generate";
const packetCount = Number(generateMode ? process.argv[4] : (process.argv.slice(2).find((argument) => /^\d+$/.test(argument)) ?? 1_000_000));
const pcapngOnly = generateMode ? process.argv[5] === "true" : process.argv.includes("--pcapng-only");
const directory = generateMode ? process.argv[3] : mkdtempSync(join(tmpdir(), "tickscope-capture-bench-"));

function frame(index: number): Uint8Array {
  const payloadLength = 60 + (index % 81);
  const out = new Uint8Array(14 + 20 + 8 + payloadLength);
  const view = new DataView(out.buffer);
  view.setUint16(12, 0x0800);
  out[14] = 0x45;
  view.setUint16(16, 20 + 8 + payloadLength);
  out[23] = 17;
  view.setUint32(26, index % 2 === 0 ? 0x0a000002 : 0x0a000001);
  view.setUint32(30, index % 2 === 0 ? 0x0a000001 : 0x0a000002);
  view.setUint16(34, index % 2 === 0 ? 50000 + (index % 16) : 7777);
  view.setUint16(36, index % 2 === 0 ? 7777 : 50000 + (index % 16));
  view.setUint16(38, 8 + payloadLength);
  for (let i = 42; i < out.length; i++) out[i] = (index + i) & 255;
  return out;
}

function writeFiles(): { pcap: string; pcapng: string } {
  const pcapParts: Uint8Array[] = [];
  const pcapngParts: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, 0xa1b2c3d4, true);
  headerView.setUint16(4, 2, true);
  headerView.setUint16(6, 4, true);
  headerView.setUint32(16, 65535, true);
  headerView.setUint32(20, 1, true);
  pcapParts.push(header);
  const shb = new Uint8Array(28);
  const shbView = new DataView(shb.buffer);
  shbView.setUint32(0, 0x0a0d0d0a, true);
  shbView.setUint32(4, 28, true);
  shbView.setUint32(8, 0x1a2b3c4d, true);
  shbView.setUint16(12, 1, true);
  shbView.setBigInt64(16, -1n, true);
  shbView.setUint32(24, 28, true);
  const idb = new Uint8Array(20);
  const idbView = new DataView(idb.buffer);
  idbView.setUint32(0, 1, true);
  idbView.setUint32(4, 20, true);
  idbView.setUint16(8, 1, true);
  idbView.setUint32(16, 20, true);
  pcapngParts.push(shb, idb);
  const pcap = join(directory, "bench.pcap");
  const pcapng = join(directory, "bench.pcapng");
  const pcapFile = openSync(pcap, "w");
  const pcapngFile = openSync(pcapng, "w");
  const flush = (): void => {
    if (!pcapngOnly) writeSync(pcapFile, Buffer.concat(pcapParts));
    writeSync(pcapngFile, Buffer.concat(pcapngParts));
    pcapParts.length = 0;
    pcapngParts.length = 0;
  };
  const startUs = 1_700_000_000_000_000;
  for (let index = 0; index < packetCount; index++) {
    const data = frame(index);
    const tUs = startUs + index * 100;
    const record = new Uint8Array(16 + data.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, Math.floor(tUs / 1e6), true);
    view.setUint32(4, tUs % 1e6, true);
    view.setUint32(8, data.length, true);
    view.setUint32(12, data.length, true);
    record.set(data, 16);
    pcapParts.push(record);
    const length = 32 + ((data.length + 3) & ~3);
    const block = new Uint8Array(length);
    const blockView = new DataView(block.buffer);
    blockView.setUint32(0, 6, true);
    blockView.setUint32(4, length, true);
    blockView.setUint32(12, Math.floor(tUs / 4294967296), true);
    blockView.setUint32(16, tUs % 4294967296, true);
    blockView.setUint32(20, data.length, true);
    blockView.setUint32(24, data.length, true);
    block.set(data, 28);
    blockView.setUint32(length - 4, length, true);
    pcapngParts.push(block);
    if (pcapParts.length >= 10_000) flush();
  }
  flush();
  closeSync(pcapFile);
  closeSync(pcapngFile);
  return { pcap, pcapng };
}

if (generateMode) {
  writeFiles();
  process.exit(0);
}

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const rates = new Map<string, { packetsPerSecond: number[]; megabytesPerSecond: number[] }>();
function record(label: string, packetsPerSecond: number, megabytesPerSecond: number): void {
  const entry = rates.get(label) ?? { packetsPerSecond: [], megabytesPerSecond: [] };
  entry.packetsPerSecond.push(packetsPerSecond);
  entry.megabytesPerSecond.push(megabytesPerSecond);
  rates.set(label, entry);
}
const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)];

async function measure(label: string, path: string, engine: PcapEngine): Promise<void> {
  let payloadBytes = 0;
  let packets = 0;
  const started = process.hrtime.bigint();
  const summary = await readCapture(path, {
    pcapEngine: engine,
    onPacket: (packet) => {
      packets += 1;
      payloadBytes += packet.payload.length;
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const fileMegabytes = statSync(path).size / 1e6;
  if (packets !== packetCount || summary.packets !== packetCount) throw new Error(`${label}: ${packets} packets, expected ${packetCount}`);
  record(label, packets / seconds, fileMegabytes / seconds);
  console.log(
    `${label.padEnd(22)} ${(packets / seconds / 1e6).toFixed(2).padStart(6)} M packets/s  ${(fileMegabytes / seconds).toFixed(0).padStart(5)} MB/s (file)  ` +
      `${seconds.toFixed(3)} s  payload ${(payloadBytes / 1e6).toFixed(1)} MB`,
  );
}

async function measurePipeline(path: string): Promise<void> {
  const started = process.hrtime.bigint();
  let payloadBytes = 0;
  const result = await runCapturePipeline({
    sources: [path],
    serverPorts: [7777],
    analyzers: [{ name: "count", onPacket: (packet) => void (payloadBytes += packet.payloadLength), onMessage: () => {}, finish: () => payloadBytes }],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  record("pipeline (pcapng)", result.datagrams / seconds, statSync(path).size / 1e6 / seconds);
  console.log(
    `${"pipeline (pcapng)".padEnd(22)} ${(result.datagrams / seconds / 1e6).toFixed(2).padStart(6)} M packets/s  ${(statSync(path).size / 1e6 / seconds).toFixed(0).padStart(5)} MB/s (file)  ` +
      `${seconds.toFixed(3)} s  ${result.sessions.length} sessions (flow table + sessions + analyzer onPacket)`,
  );
}

try {
  console.log(`generating ${packetCount.toLocaleString("en-US")} packets in ${directory} ...`);
  // generate in a child process so this process's RSS reflects reading only
  execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--generate", directory, String(packetCount), String(pcapngOnly)], { stdio: "inherit" });
  const files = { pcap: join(directory, "bench.pcap"), pcapng: join(directory, "bench.pcapng") };
  console.log(`pcap ${(statSync(files.pcap).size / 1e6).toFixed(1)} MB, pcapng ${(statSync(files.pcapng).size / 1e6).toFixed(1)} MB`);
  const baselineRss = process.memoryUsage().rss;
  peakRss = baselineRss;
  const rounds = 3;
  for (let round = 0; round < rounds; round++) {
    console.log(`round ${round + 1}${round === 0 ? " (includes JIT warm-up)" : ""}`);
    await measure("pcapng (tickscope)", files.pcapng, "builtin");
    if (!pcapngOnly) {
      await measure("pcap (pcap-parser)", files.pcap, "pcap-parser");
      await measure("pcap (builtin)", files.pcap, "builtin");
    }
    await measurePipeline(files.pcapng);
  }
  console.log(`summary over ${rounds} rounds (best / median):`);
  for (const [label, entry] of rates) {
    console.log(
      `${label.padEnd(22)} ${(Math.max(...entry.packetsPerSecond) / 1e6).toFixed(2)} / ${(median(entry.packetsPerSecond) / 1e6).toFixed(2)} M packets/s  ` +
        `${Math.max(...entry.megabytesPerSecond).toFixed(0)} / ${median(entry.megabytesPerSecond).toFixed(0)} MB/s`,
    );
  }
  console.log(`peak RSS ${(peakRss / 1e6).toFixed(0)} MB (baseline before reading ${(baselineRss / 1e6).toFixed(0)} MB)`);
  console.log("floors: pcapng >= 3 M packets/s, pcap (pcap-parser) >= 1 M packets/s; the machine may be shared, see README");
} finally {
  clearInterval(sampler);
  rmSync(directory, { recursive: true, force: true });
}
