import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasSharedCaptures, repositoryRoot, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

// Merge == single pass on traffic we did not write (issue 18): the public captures of ../shared/captures, each
// with the example definition the other real-capture tests pair it with, and three with none (packet timing only).
const directory = mkdtempSync(join(tmpdir(), "tickscope-partial-real-"));
const protocolOf = (name: string): string => join(repositoryRoot, "examples", "protocols", `${name}.json`);
/** Capture file → definition (undefined: no definition, only the packet-timing analysis runs). */
const CAPTURES: [string, string | undefined][] = [
  ["firefall_1869_gameplay.pcapng", protocolOf("firefall")],
  ["sipp_g711a.pcap", protocolOf("rtp")],
  ["ndpi_skinny.pcap", protocolOf("rtp")],
  ["ndpi_geforcenow.pcapng", protocolOf("rtp")],
  ["ndpi_raknet.pcap", undefined],
  ["ndpi_kcp.pcap", undefined],
  ["ndpi_nintendo.pcap", undefined],
];

let savedEpoch: string | undefined;
beforeAll(() => {
  // generatedAt pinned (reports then byte-identical), as the reproducible-report tests pin it
  savedEpoch = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = "0";
});
afterAll(() => {
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

const protocolArgs = (protocol: string | undefined): string[] => (protocol === undefined ? [] : ["--protocol", protocol]);
let partialCount = 0;

/** `analyze <paths> --format json` on one thread: the report JSON. */
async function analyzeJson(paths: readonly string[], protocol: string | undefined, extra: readonly string[] = ["--threads", "1"]): Promise<string> {
  const run = await runInMemory(["analyze", ...paths, ...protocolArgs(protocol), "--format", "json", ...extra]);
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  return run.stdout;
}

/** `analyze <paths> --partial p.tspart` on one thread: the partial's path. */
async function writePartial(paths: readonly string[], protocol: string | undefined): Promise<string> {
  const partial = join(directory, `p-${partialCount++}.tspart`);
  const run = await runInMemory(["analyze", ...paths, ...protocolArgs(protocol), "--partial", partial, "--threads", "1"]);
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  return partial;
}

/** `merge <partials> --format json`: the report JSON. */
async function mergeJson(partials: readonly string[]): Promise<string> {
  const run = await runInMemory(["merge", ...partials, "--format", "json"]);
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  return run.stdout;
}

/** Packet records of a capture file in file order, with what a file of a subset needs (classic pcap or pcapng). */
interface SplitCapture {
  /** The file's packets, each as the bytes of its record or block. */
  packets: Uint8Array[];
  /** A file holding `packets` (in order), with the original's headers. */
  write: (packets: readonly Uint8Array[]) => Uint8Array;
}

/**
 * Cuts a capture into its packet records without decoding them (byte-exact halves, as a rotation by
 * `tcpdump -G` writes them): classic pcap (either byte order, µs or ns) and pcapng (section and
 * interface blocks go to every part; other non-packet blocks stay with the packets they precede).
 */
function packetRecords(bytes: Uint8Array): SplitCapture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic === 0x0a0d0d0a) {
    const littleEndian = view.getUint32(8, true) === 0x1a2b3c4d;
    const headers: Uint8Array[] = [];
    const packets: Uint8Array[] = [];
    let pending: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length; ) {
      const type = view.getUint32(offset, littleEndian);
      const length = view.getUint32(offset + 4, littleEndian);
      const block = bytes.subarray(offset, offset + length);
      if (type === 0x0a0d0d0a || type === 1) headers.push(block);
      else if (type === 6 || type === 3 || type === 2) {
        packets.push(Buffer.concat([...pending, block]));
        pending = [];
      } else pending.push(block);
      offset += length;
    }
    return { packets, write: (part) => Buffer.concat([...headers, ...part]) };
  }
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const header = bytes.subarray(0, 24);
  const packets: Uint8Array[] = [];
  for (let offset = 24; offset + 16 <= bytes.length; ) {
    const captured = view.getUint32(offset + 8, littleEndian);
    packets.push(bytes.subarray(offset, Math.min(bytes.length, offset + 16 + captured)));
    offset += 16 + captured;
  }
  return { packets, write: (part) => Buffer.concat([header, ...part]) };
}

/** JSON paths (array indices as []) whose values differ between two documents. */
function differingPaths(left: unknown, right: unknown, path = "", found = new Set<string>()): Set<string> {
  if (left !== null && right !== null && typeof left === "object" && typeof right === "object") {
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      differingPaths((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], `${path}${Array.isArray(left) ? "[]" : `.${key}`}`, found);
    }
  } else if (JSON.stringify(left) !== JSON.stringify(right)) found.add(path);
  return found;
}

/**
 * Keeps only the figures the state docs say a rotation keeps exact (by key name): packet, byte and message counts,
 * loss/duplicate/reorder counts per stream; texts (answers, findings) and every other number are dropped. Left out,
 * as documented per pass: packet timing's gaps, bursts and jitter; left out, as the known bug tested below: the
 * duplicates of a datagram across the cut (latency ackRetransmissionsSkipped).
 */
function exactFigures(document: unknown): unknown {
  const exactKey = /^(packets|bytes|wireBytes|payloadBytes|messages|datagrams|events|expected|received|lost|duplicates|captureDuplicates|reordered|late|decodedMessages)$/i;
  const identityKey = /^(id|sessionId|direction|channel|messageType|file|format|analysis)$/;
  return JSON.parse(
    JSON.stringify(document, (key, value: unknown) => {
      if (/^(gaps|bursts|jitterMs)$/.test(key)) return undefined;
      if (key === "" || value === null || typeof value === "object") return value;
      if (typeof value === "number") return exactKey.test(key) ? value : undefined;
      return identityKey.test(key) ? value : undefined;
    }),
  );
}

/** Two halves of a capture, cut at the middle packet, written next to the partials: their paths. */
function rotationHalves(file: string): { paths: string[]; packets: number; cut: number } {
  const split = packetRecords(readFileSync(sharedCapturePath(file)));
  const cut = Math.floor(split.packets.length / 2);
  const extension = file.endsWith(".pcapng") ? "pcapng" : "pcap";
  const paths = [split.packets.slice(0, cut), split.packets.slice(cut)].map((part, index) => {
    const path = join(directory, `${file}-rotation-${index}.${extension}`);
    writeFileSync(path, split.write(part));
    return path;
  });
  return { paths, packets: split.packets.length, cut };
}

/** Report JSON of analyze over both halves, and of the merge of a partial per half (given in reverse order). */
async function rotationReports(halves: readonly string[], protocol: string | undefined): Promise<{ single: Record<string, unknown>; merged: Record<string, unknown> }> {
  const single = JSON.parse(await analyzeJson(halves, protocol));
  const partials = [await writePartial([halves[1]!], protocol), await writePartial([halves[0]!], protocol)];
  return { single, merged: JSON.parse(await mergeJson(partials)) };
}

describe.skipIf(!hasSharedCaptures)(`partial + merge == one analyze on the public captures (${hasSharedCaptures ? "../shared/captures" : sharedCapturesSkipReason})`, () => {
  const rotationLog: string[] = [];
  afterAll(() => {
    if (rotationLog.length > 0) console.log(`rotation of the real captures, merge vs analyze of both halves:\n${rotationLog.join("\n")}`);
  });

  for (const [file, protocol] of CAPTURES) {
    const label = `${file} (${protocol === undefined ? "no definition" : protocol.split("/").pop()})`;

    it(`${label}: analyze --partial, merge == analyze (JSON byte-identical); --threads 2 --thread-cut sessions == --threads 1`, async () => {
      const capture = sharedCapturePath(file);
      const single = await analyzeJson([capture], protocol);
      expect(JSON.parse(single).generatedAt).toBe("1970-01-01T00:00:00.000Z");
      const merged = await mergeJson([await writePartial([capture], protocol)]);
      if (merged !== single) expect([...differingPaths(JSON.parse(merged), JSON.parse(single))]).toEqual([]);
      expect(merged).toBe(single);
      const sessionCut = await analyzeJson([capture], protocol, ["--threads", "2", "--thread-cut", "sessions"]);
      if (sessionCut !== single) expect([...differingPaths(JSON.parse(sessionCut), JSON.parse(single))]).toEqual([]);
      expect(sessionCut).toBe(single);
    }, 900_000);

    it(`${label}: rotation cut at the middle packet — merge of a partial per file: exact counts, bytes and loss figures equal analyze of both files`, async () => {
      const { paths: halves, packets, cut } = rotationHalves(file);
      const { single, merged } = await rotationReports(halves, protocol);
      const paths = [...differingPaths(merged, single)];
      rotationLog.push(`  ${label}, ${packets} packets cut at ${cut}: ${paths.length === 0 ? "identical" : `differs at ${paths.join(", ")}`}`);
      const body = (document: Record<string, unknown>): Record<string, unknown> => document.report as Record<string, unknown>;
      expect(body(merged).captures).toEqual(body(single).captures);
      expect(body(merged).sessions).toEqual(body(single).sessions);
      expect((body(single).sessions as unknown[]).length).toBeGreaterThan(0);
      expect(exactFigures(merged)).toEqual(exactFigures(single));
    }, 900_000);
  }

  /** Report JSON of analyze over both halves of ndpi_skinny.pcap (rtp.json) cut at packet 100, and of their merge (computed once). */
  let skinnyRotation: Promise<{ single: Record<string, unknown>; merged: Record<string, unknown> }> | undefined;
  const skinnyReports = () => (skinnyRotation ??= rotationReports(rotationHalves("ndpi_skinny.pcap").paths, protocolOf("rtp")));

  it("ndpi_skinny.pcap (rtp.json) cut at packet 100: a datagram duplicated across the cut counts in anticheat as in one pass (networkDuplicates 18)", async () => {
    const { single, merged } = await skinnyReports();
    const duplicates = (document: Record<string, unknown>): unknown =>
      (document.report as { analyses: Record<string, Record<string, Record<string, unknown>>> }).analyses.anticheat?.summary?.networkDuplicates;
    expect(duplicates(single)).toBe(18);
    expect(duplicates(merged)).toBe(duplicates(single));
  }, 900_000);

  it.fails("known bug — ndpi_skinny.pcap (rtp.json) cut at packet 100: a datagram duplicated across the cut is missed by latency (ackRetransmissionsSkipped 33 vs 34)", async () => {
    const { single, merged } = await skinnyReports();
    const skipped = (document: Record<string, unknown>): unknown =>
      (document.report as { analyses: Record<string, Record<string, Record<string, unknown>>> }).analyses.latency?.methodDetails?.ackRetransmissionsSkipped;
    expect(skipped(merged)).toEqual(skipped(single));
  }, 900_000);
});
