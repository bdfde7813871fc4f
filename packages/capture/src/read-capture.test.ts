import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, hasErrorCode, type Packet } from "@tickscope/core";
import { openByteStream } from "./byte-source.js";
import { readCapture, type PcapEngine } from "./read-capture.js";
import { simplePcapng, writePcap, writePcapng, type FrameRecord } from "./test-support/capture-writer.js";
import {
  ethernet,
  ipv4,
  ipv6,
  linuxSll,
  linuxSll2,
  loopback,
  tcp,
  udp,
  udpFrame,
} from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;
const payload = (text: string) => new TextEncoder().encode(text);

interface Seen {
  index: number;
  tUs: number;
  transport: string;
  source: string;
  destination: string;
  payload: string;
  interfaceId: number;
  linkType: number;
  wireLength: number;
}

async function collect(source: Parameters<typeof readCapture>[0], engine: PcapEngine = "pcap-parser") {
  const seen: Seen[] = [];
  const summary = await readCapture(source, {
    pcapEngine: engine,
    onPacket: (packet: Packet) =>
      seen.push({
        index: packet.index,
        tUs: packet.tUs,
        transport: packet.transport,
        source: `${packet.sourceAddress}:${packet.sourcePort}`,
        destination: `${packet.destinationAddress}:${packet.destinationPort}`,
        payload: new TextDecoder().decode(packet.payload),
        interfaceId: packet.interfaceId,
        linkType: packet.linkType,
        wireLength: packet.wireLength,
      }),
  });
  return { summary, seen };
}

const frames: FrameRecord[] = [
  { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload("hello")) },
  { tUs: T0 + 1500.5, data: udpFrame("10.0.0.1", 7777, "10.0.0.2", 50000, payload("world!")) },
  { tUs: T0 + 3000, data: ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.1", tcp(40000, 443, payload("tls")), { protocol: 6 })) },
  { tUs: T0 + 4000, data: ethernet(0x0806, new Uint8Array(28)) },
];

describe("classic pcap", () => {
  for (const engine of ["pcap-parser", "builtin"] as const) {
    for (const littleEndian of [true, false]) {
      for (const nanoseconds of [false, true]) {
        it(`${engine}, ${littleEndian ? "LE" : "BE"}, ${nanoseconds ? "ns" : "µs"}: every frame, time and payload`, async () => {
          const file = writePcap(frames, { littleEndian, nanoseconds });
          const { summary, seen } = await collect(file, engine);
          expect(summary.format).toBe("pcap");
          expect(summary.packets).toBe(4);
          expect(summary.nanosecondPcap).toBe(nanoseconds);
          expect(summary.linkTypes).toEqual([1]);
          expect(summary.nonIpFrames).toBe(1);
          expect(summary.anomalies).toEqual({});
          expect(seen.map((packet) => packet.payload)).toEqual(["hello", "world!", "tls"]);
          expect(seen[1].tUs).toBe(nanoseconds ? T0 + 1500.5 : T0 + 1501);
          expect(seen[2]).toMatchObject({ transport: "tcp", source: "10.0.0.2:40000", destination: "10.0.0.1:443", index: 2 });
          expect(summary.firstUs).toBe(T0);
          expect(summary.lastUs).toBe(T0 + 4000);
          expect(summary.bytes).toBe(frames.reduce((sum, frame) => sum + frame.data.length, 0));
        });
      }
    }
  }

  it("counts snaplen-truncated records without error and delivers what was captured", async () => {
    const full = udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload("0123456789"));
    const file = writePcap([{ tUs: T0, data: full.subarray(0, full.length - 4), wireLength: full.length }], { snapshotLength: full.length - 4 });
    for (const engine of ["pcap-parser", "builtin"] as const) {
      const { summary, seen } = await collect(file, engine);
      expect(summary.snaplenTruncatedFrames).toBe(1);
      expect(summary.anomalies).toEqual({});
      expect(seen[0].payload).toBe("012345");
      expect(seen[0].wireLength).toBe(full.length);
    }
  });

  it("reads pcap 2.0 files whose writers swapped captured and original lengths (as wiretap does)", async () => {
    const data = udpFrame("10.0.0.2", 1, "10.0.0.1", 2, payload("x"));
    const file = writePcap([{ tUs: T0, data }], { minorVersion: 0 });
    const view = new DataView(file.buffer);
    view.setUint32(24 + 8, data.length + 100, true); // "captured" field now holds the wire length
    view.setUint32(24 + 12, data.length, true);
    for (const engine of ["pcap-parser", "builtin"] as const) {
      const { summary, seen } = await collect(file, engine);
      expect(summary.packets).toBe(1);
      expect(seen[0].wireLength).toBe(data.length + 100);
      expect(summary.anomalies).toEqual({});
    }
  });

  it("rejects non-captures with a typed error and empty input with E_TRUNCATED", async () => {
    await expect(readCapture(new TextEncoder().encode("hello world, not a capture"), { onPacket: () => {} })).rejects.toSatisfy((error) =>
      hasErrorCode(error, ErrorCode.badMagic),
    );
    await expect(readCapture(new Uint8Array(0), { onPacket: () => {} })).rejects.toSatisfy((error) => hasErrorCode(error, ErrorCode.truncated));
    const badVersion = writePcap([], { majorVersion: 3 });
    await expect(readCapture(badVersion, { onPacket: () => {} })).rejects.toSatisfy((error) => hasErrorCode(error, ErrorCode.unsupportedVersion));
    await expect(readCapture("/nonexistent/file.pcap", { onPacket: () => {} })).rejects.toSatisfy((error) => hasErrorCode(error, ErrorCode.io));
  });
});

describe("pcapng", () => {
  it("reads both byte orders, several sections, interfaces with their own link types, tsresol and tsoffset", async () => {
    const sll = linuxSll(0x0800, ipv4("192.168.1.5", "192.168.1.1", udp(5000, 6000, payload("sll"))));
    const file = writePcapng([
      {
        littleEndian: true,
        interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 113, tsresol: 0x80 | 20 }],
        items: [
          { kind: "epb", frame: { tUs: T0 + 0.25, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload("ns")) } },
          { kind: "epb", frame: { tUs: T0 + 10, data: sll, interfaceId: 1 } },
          { kind: "raw", type: 4, body: new Uint8Array(8) },
          { kind: "raw", type: 5, body: new Uint8Array(12) },
          { kind: "raw", type: 0x0a, body: new Uint8Array(8) },
          { kind: "raw", type: 0xbad, body: new Uint8Array(8) },
          { kind: "raw", type: 0x12345, body: new Uint8Array(4) },
        ],
      },
      {
        littleEndian: false,
        interfaces: [{ linkType: 101, tsresol: 3, tsoffsetSeconds: 1000 }],
        items: [
          { kind: "epb", frame: { tUs: T0 + 2_000_000, data: ipv4("10.9.9.9", "10.8.8.8", udp(1, 2, payload("be"))) } },
          { kind: "pb", frame: { tUs: T0 + 3_000_000, data: ipv4("10.9.9.9", "10.8.8.8", udp(1, 2, payload("pb"))) } },
          { kind: "spb", data: ipv4("10.9.9.9", "10.8.8.8", udp(1, 2, payload("spb"))) },
        ],
      },
    ]);
    const { summary, seen } = await collect(file);
    expect(summary.format).toBe("pcapng");
    expect(summary.sections).toBe(2);
    expect(summary.interfaces).toBe(3);
    expect(summary.packets).toBe(5);
    expect(summary.linkTypes).toEqual([1, 101, 113]);
    expect(summary.skippedBlocks).toEqual({ custom: 1, decryptionSecrets: 1, interfaceStatistics: 1, nameResolution: 1, "type-0x12345": 1 });
    expect(summary.anomalies).toEqual({});
    expect(seen.map((packet) => packet.payload)).toEqual(["ns", "sll", "be", "pb", "spb"]);
    expect(seen[0].tUs).toBeCloseTo(T0 + 0.25, 1);
    expect(seen[1]).toMatchObject({ interfaceId: 1, linkType: 113, source: "192.168.1.5:5000" });
    expect(Math.abs(seen[1].tUs - (T0 + 10))).toBeLessThan(1);
    expect(seen[2].tUs).toBe(T0 + 2_000_000);
    expect(seen[3].tUs).toBe(T0 + 3_000_000);
    expect(seen[4].tUs).toBe(T0 + 3_000_000); // SPB: no timestamp, previous time
  });

  it("counts an EPB for an undeclared interface and timestamps going backwards", async () => {
    const file = writePcapng([
      {
        interfaces: [{ linkType: 1 }],
        items: [
          { kind: "epb", frame: { tUs: T0 + 100, data: udpFrame("1.1.1.1", 1, "2.2.2.2", 2, payload("a")) } },
          { kind: "epb", frame: { tUs: T0, data: udpFrame("1.1.1.1", 1, "2.2.2.2", 2, payload("b")) } },
          { kind: "epb", frame: { tUs: T0 + 200, data: udpFrame("1.1.1.1", 1, "2.2.2.2", 2, payload("c")), interfaceId: 7 } },
        ],
      },
    ]);
    const { summary, seen } = await collect(file);
    expect(seen.map((packet) => packet.payload)).toEqual(["a", "b"]);
    expect(summary.anomalies).toEqual({ E_TIMESTAMP_BACKWARDS: 1, E_UNKNOWN_INTERFACE: 1 });
    expect(summary.anomalyDetails.E_TIMESTAMP_BACKWARDS.examples).toEqual([1]);
    expect(summary.firstUs).toBe(T0);
    expect(summary.lastUs).toBe(T0 + 100);
  });
});

describe("link types", () => {
  const ip = ipv4("172.16.0.1", "172.16.0.2", udp(1000, 2000, payload("link")));
  const ip6 = ipv6("2001:db8::1", "2001:db8::2", udp(1000, 2000, payload("link6")));
  const cases: [string, number, Uint8Array, string][] = [
    ["ethernet", 1, ethernet(0x0800, ip), "172.16.0.1:1000"],
    ["802.1Q", 1, ethernet(0x0800, ip, [0x8100]), "172.16.0.1:1000"],
    ["QinQ", 1, ethernet(0x86dd, ip6, [0x88a8, 0x8100]), "2001:db8::1:1000"],
    ["SLL", 113, linuxSll(0x86dd, ip6), "2001:db8::1:1000"],
    ["SLL2", 276, linuxSll2(0x0800, ip), "172.16.0.1:1000"],
    ["raw 101 v4", 101, ip, "172.16.0.1:1000"],
    ["raw 12 v6", 12, ip6, "2001:db8::1:1000"],
    ["raw 14", 14, ip, "172.16.0.1:1000"],
    ["raw ipv4 228", 228, ip, "172.16.0.1:1000"],
    ["raw ipv6 229", 229, ip6, "2001:db8::1:1000"],
    ["NULL little-endian AF_INET", 0, loopback(2, ip, true), "172.16.0.1:1000"],
    ["NULL big-endian AF_INET6 (BSD 30)", 0, loopback(30, ip6, false), "2001:db8::1:1000"],
    ["NULL AF_INET6 linux 10", 0, loopback(10, ip6, true), "2001:db8::1:1000"],
    ["LOOP", 108, loopback(2, ip, false), "172.16.0.1:1000"],
  ];
  for (const [name, linkType, data, source] of cases) {
    it(`${name} (${linkType})`, async () => {
      const { seen, summary } = await collect(simplePcapng([{ tUs: T0, data }], linkType));
      expect(summary.anomalies).toEqual({});
      expect(seen).toHaveLength(1);
      expect(seen[0].source).toBe(source);
      expect(seen[0].payload.startsWith("link")).toBe(true);
    });
  }

  it("counts an unknown link type per frame", async () => {
    const { summary, seen } = await collect(writePcap([{ tUs: T0, data: ip }, { tUs: T0 + 1, data: ip }], { linkType: 147 }));
    expect(seen).toHaveLength(0);
    expect(summary.anomalies).toEqual({ E_UNKNOWN_LINK_TYPE: 2 });
  });
});

describe("sources", () => {
  const file = writePcap(frames);
  it("reads gzip transparently from bytes, a path and a stream in small pieces", async () => {
    const compressed = gzipSync(file);
    const directory = mkdtempSync(join(tmpdir(), "tickscope-capture-test-"));
    const path = join(directory, "capture.pcap.gz");
    writeFileSync(path, compressed);
    const fromBytes = await collect(compressed);
    const fromPath = await collect(path);
    const pieces = Array.from({ length: Math.ceil(compressed.length / 7) }, (_, index) => Buffer.from(compressed.subarray(index * 7, index * 7 + 7)));
    const fromStream = await collect(Readable.from(pieces));
    for (const result of [fromBytes, fromPath, fromStream]) {
      expect(result.summary.compressed).toBe(true);
      expect(result.seen.map((packet) => packet.payload)).toEqual(["hello", "world!", "tls"]);
    }
    expect(fromPath.summary.file).toBe(path);
    expect(fromStream.summary.file).toBe("-");
  });

  it("reads uncompressed streams split at every possible size for pcap and pcapng", async () => {
    const ng = simplePcapng(frames);
    for (const bytes of [file, ng]) {
      for (const size of [1, 2, 3, 5, 16, 17, 64]) {
        const pieces = Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) => Buffer.from(bytes.subarray(index * size, index * size + size)));
        for (const engine of ["pcap-parser", "builtin"] as const) {
          const { seen, summary } = await collect(Readable.from(pieces), engine);
          expect(summary.anomalies).toEqual({});
          expect(seen.map((packet) => packet.payload)).toEqual(["hello", "world!", "tls"]);
        }
      }
    }
  });

  it("reads files in any chunk size exactly as from memory (reused read buffers), plain and gzipped, with both pcap engines", async () => {
    const many: FrameRecord[] = Array.from({ length: 120 }, (_, index) => ({
      tUs: T0 + index * 977,
      data: udpFrame("10.0.0.2", 50000 + (index % 3), "10.0.0.1", 7777, payload(`datagram ${index} ${"x".repeat(index % 41)}`)),
    }));
    const directory = mkdtempSync(join(tmpdir(), "tickscope-capture-test-"));
    const captures = { pcap: writePcap(many), pcapng: simplePcapng(many) };
    for (const [name, bytes] of Object.entries(captures)) {
      const plainPath = join(directory, `c.${name}`);
      const gzipPath = join(directory, `c.${name}.gz`);
      writeFileSync(plainPath, bytes);
      writeFileSync(gzipPath, gzipSync(bytes));
      for (const engine of ["pcap-parser", "builtin"] as const) {
        const expected = await collect(bytes, engine);
        expect(expected.seen).toHaveLength(120);
        for (const chunkBytes of [7, 64, 100, 333, 1 << 20]) {
          for (const path of [plainPath, gzipPath]) {
            const seen: string[] = [];
            const summary = await readCapture(path, { pcapEngine: engine, chunkBytes, onPacket: (packet) => seen.push(new TextDecoder().decode(packet.payload)) });
            expect(summary.anomalies).toEqual({});
            expect(seen).toEqual(expected.seen.map((packet) => packet.payload));
          }
        }
      }
    }
  });

  it("a file chunk stays valid until the next one is requested", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-capture-test-"));
    const path = join(directory, "bytes.bin");
    writeFileSync(path, Uint8Array.from({ length: 40 }, (_, index) => index));
    const stream = await openByteStream(path, 8);
    const iterator = stream.chunks[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Uint8Array;
    expect([...first]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const second = (await iterator.next()).value as Uint8Array;
    expect([...second]).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect([...first]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const rest: number[] = [];
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      rest.push(...next.value);
    }
    expect(rest).toEqual(Array.from({ length: 24 }, (_, index) => 16 + index));
    await stream.close();
  });

  it("propagates an error thrown by onPacket and releases the source", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-capture-test-"));
    const path = join(directory, "capture.pcap.gz");
    writeFileSync(path, gzipSync(file));
    const failing = () => {
      throw new Error("consumer failed");
    };
    await expect(readCapture(path, { onPacket: failing })).rejects.toThrow("consumer failed");
    await expect(readCapture(file, { onPacket: failing, pcapEngine: "builtin" })).rejects.toThrow("consumer failed");
  });

  it("counts a truncated gzip stream and keeps what was decompressed", async () => {
    const big = writePcap(Array.from({ length: 200 }, (_, index) => ({ tUs: T0 + index, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload(`p${index}`)) })));
    const compressed = gzipSync(big);
    const { summary, seen } = await collect(compressed.subarray(0, Math.floor(compressed.length * 0.8)));
    expect(summary.anomalies.E_TRUNCATED).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(200);
  });
});
