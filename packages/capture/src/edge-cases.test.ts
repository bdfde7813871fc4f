import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AnomalyCounter, type DatagramDecoder } from "@tickscope/core";
import { ChunkFramer, type RecordParser } from "./chunk-framer.js";
import { isSupportedLinkType, linkTypeName } from "./link-type.js";
import { PacketDecoder } from "./packet-decoder.js";
import { readCapture } from "./read-capture.js";
import { runCapturePipeline } from "./capture-pipeline.js";
import { writePcap, writePcapng } from "./test-support/capture-writer.js";
import { concat, ethernet, ipv4, ipv6, ipv6FragmentBody, udp, udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_650_000_000_000_000;

describe("link-layer and IP edge cases", () => {
  const run = (frame: Uint8Array, linkType: number) => {
    const anomalies = new AnomalyCounter();
    const seen: number[] = [];
    const decoder = new PacketDecoder(anomalies, (packet) => seen.push(packet.payload.length));
    decoder.decodeFrame(frame, new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 0, frame.length, frame.length, linkType, 0, T0, 0);
    return { counts: anomalies.toCounts(), seen, counters: decoder.counters };
  };

  it("counts frames shorter than their link header", () => {
    for (const [linkType, length] of [
      [1, 13],
      [113, 15],
      [276, 19],
      [0, 3],
      [108, 2],
      [101, 0],
    ] as const) {
      expect(run(new Uint8Array(length), linkType).counts, `link type ${linkType}`).toEqual({ E_TRUNCATED: 1 });
    }
    const tagged = ethernet(0x8100, new Uint8Array(2));
    expect(run(tagged, 1).counts).toEqual({ E_TRUNCATED: 1 });
    expect(run(ethernet(0x0806, new Uint8Array(28)), 1).counters.nonIpFrames).toBe(1);
    expect(run(concat(new Uint8Array([0, 0, 0, 99]), new Uint8Array(20)), 108).counters.nonIpFrames).toBe(1);
  });

  it("accepts an IPv4 total length of 0 (segmentation offload) and counts a header cut inside the frame", () => {
    const packet = ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, new Uint8Array(10)), { totalLengthOverride: 0 });
    expect(run(ethernet(0x0800, packet), 1).seen).toEqual([10]);
    const withOptions = ipv4("10.0.0.1", "10.0.0.2", new Uint8Array(0), { optionWords: 4 });
    expect(run(ethernet(0x0800, withOptions.subarray(0, 24)), 1).counts).toEqual({ E_BAD_IP_HEADER: 1 });
  });

  it("handles damaged IPv6 extension chains and cut IPv6 fragments", () => {
    const longExtension = ipv6("fd00::1", "fd00::2", udp(1, 2, new Uint8Array(4)), 17, [{ type: 60, body: new Uint8Array(6) }]);
    longExtension[41] = 20; // claims 168 bytes
    expect(run(ethernet(0x86dd, longExtension), 1).counts).toEqual({ E_BAD_IP_HEADER: 1 });
    const fragmentHead = ipv6("fd00::1", "fd00::2", udp(1, 2, new Uint8Array(100)), 17, [{ type: 44, body: ipv6FragmentBody(0, true, 5) }]);
    const cut = fragmentHead.subarray(0, 80); // the frame holds less than the payload length says
    const result = run(ethernet(0x86dd, cut), 1);
    expect(result.counts).toEqual({ E_INCOMPLETE_FRAGMENT: 1 });
    expect(result.seen).toEqual([24]);
    const fragmentOfExtension = ipv6("fd00::1", "fd00::2", new Uint8Array(16), 60, [{ type: 44, body: ipv6FragmentBody(0, false, 6) }]);
    expect(run(ethernet(0x86dd, fragmentOfExtension), 1).counters.otherIpPackets + Object.keys(run(ethernet(0x86dd, fragmentOfExtension), 1).counts).length).toBeGreaterThan(0);
  });

  it("names link types", () => {
    expect(linkTypeName(276)).toBe("linux-sll2");
    expect(linkTypeName(147)).toBe("linktype-147");
    expect(isSupportedLinkType(1)).toBe(true);
    expect(isSupportedLinkType(147)).toBe(false);
  });
});

describe("pcapng block edge cases", () => {
  it("counts malformed packet blocks and applies the interface snaplen to SPBs", async () => {
    const frame = udpFrame("10.0.0.1", 1, "10.0.0.2", 2, new Uint8Array(30));
    const file = writePcapng([
      {
        interfaces: [{ linkType: 1, snapshotLength: 50 }],
        items: [
          { kind: "spb", data: frame },
          { kind: "raw", type: 6, body: new Uint8Array(8) }, // EPB too short
          { kind: "raw", type: 2, body: new Uint8Array(8) }, // PB too short
          { kind: "raw", type: 1, body: new Uint8Array(4) }, // IDB too short
          { kind: "epb", frame: { tUs: T0, data: frame } },
          { kind: "pb", frame: { tUs: T0, data: frame, interfaceId: 3 } },
        ],
      },
    ]);
    const view = new DataView(file.buffer);
    // make the last EPB claim more captured bytes than the block holds
    let offset = 0;
    let lastEpb = -1;
    while (offset < file.length) {
      if (view.getUint32(offset, true) === 6 && view.getUint32(offset + 4, true) > 40) lastEpb = offset;
      offset += view.getUint32(offset + 4, true);
    }
    view.setUint32(lastEpb + 20, 5000, true);
    let seen = 0;
    const summary = await readCapture(file, { onPacket: () => void seen++ });
    expect(summary.snaplenTruncatedFrames).toBe(1);
    expect(summary.anomalies).toEqual({ E_BAD_BLOCK_LENGTH: 4, E_UNKNOWN_INTERFACE: 1 });
    expect(summary.packets).toBe(1);
    expect(seen).toBe(1);
  });

  it("counts an SPB before any interface and a later section of another version", async () => {
    const file = writePcapng([
      { interfaces: [], items: [{ kind: "spb", data: new Uint8Array(20) }] },
      { interfaces: [{ linkType: 1 }], items: [] },
    ]);
    const view = new DataView(file.buffer);
    const secondSection = view.getUint32(4, true) + view.getUint32(view.getUint32(4, true) + 4, true);
    view.setUint16(secondSection + 12, 2, true);
    const summary = await readCapture(file, { onPacket: () => {} });
    expect(summary.anomalies).toEqual({ E_UNKNOWN_INTERFACE: 1, E_UNSUPPORTED_VERSION: 1 });
  });
});

describe("ChunkFramer", () => {
  it("assembles records much larger than the chunks and than its initial carry", () => {
    // records: [u32 length][payload], length includes the 4-byte header
    const received: number[] = [];
    const parser: RecordParser & { needed: number } = {
      needed: 4,
      parse(bytes, view, start, end) {
        let position = start;
        for (;;) {
          if (end - position < 4) {
            this.needed = 4;
            return position;
          }
          const length = view.getUint32(position);
          if (end - position < length) {
            this.needed = length;
            return position;
          }
          received.push(bytes[position + length - 1]);
          position += length;
        }
      },
    };
    const framer = new ChunkFramer(parser);
    const sizes = [10, 20_000, 8, 70_000, 4, 12, 100_000];
    const stream = concat(
      ...sizes.map((size, index) => {
        const record = new Uint8Array(size);
        new DataView(record.buffer).setUint32(0, size);
        if (size > 4) record[size - 1] = index;
        return record;
      }),
    );
    for (let offset = 0; offset < stream.length; offset += 1000) framer.push(stream.subarray(offset, offset + 1000));
    expect(framer.pendingBytes).toBe(0);
    expect(framer.end()).toBe(0);
    expect(received).toEqual(sizes.map((size, index) => (size > 4 ? index : size & 255)));
  });
});

describe("sources and pipeline details", () => {
  it("reads text-mode streams and large gzip captures", async () => {
    const frames = Array.from({ length: 3000 }, (_, index) => ({ tUs: T0 + index, data: udpFrame("10.0.0.1", 1000 + (index % 7), "10.0.0.2", 2000, new Uint8Array(200).fill(index & 255)) }));
    const file = writePcap(frames);
    const compressed = gzipSync(file, { level: 0 });
    let seen = 0;
    const summary = await readCapture(Readable.from([Buffer.from(compressed)]), { onPacket: () => void seen++ });
    expect(summary.packets).toBe(3000);
    expect(seen).toBe(3000);
    const latin1 = Readable.from([Buffer.from(writePcap(frames.slice(0, 3))).toString("latin1")]);
    const textSummary = await readCapture(latin1, { onPacket: () => {} });
    expect(textSummary.packets).toBe(3);
  });

  it("stops tracking new flows at maxFlows and sorts message counts by session, direction and type", async () => {
    const decoder: DatagramDecoder = {
      decodeDatagram(payload, context, onMessage) {
        for (const type of ["b", "a"]) {
          onMessage({ ...context, indexInPacket: 0, type, byteLength: payload.length, packetWireLength: context.packetWireLength, fields: {}, roles: {} });
        }
      },
    };
    const file = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.9", 50000, "10.0.0.1", 7777, new Uint8Array(3)) },
      { tUs: T0 + 1, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, new Uint8Array(3)) },
      { tUs: T0 + 2, data: udpFrame("10.0.0.1", 7777, "10.0.0.9", 50000, new Uint8Array(3)) },
      { tUs: T0 + 3, data: udpFrame("10.0.0.3", 50000, "10.0.0.1", 7777, new Uint8Array(3)) },
    ]);
    const result = await runCapturePipeline({ sources: [file], decoder, maxFlows: 2 });
    expect(result.sessions).toHaveLength(2);
    expect(result.datagrams).toBe(3);
    expect(result.untrackedPackets).toBe(1);
    expect(result.messages.map((count) => `${count.session} ${count.direction} ${count.type} ${count.count}`)).toEqual([
      "udp:10.0.0.2:50000-10.0.0.1:7777 clientToServer a 1",
      "udp:10.0.0.2:50000-10.0.0.1:7777 clientToServer b 1",
      "udp:10.0.0.9:50000-10.0.0.1:7777 clientToServer a 1",
      "udp:10.0.0.9:50000-10.0.0.1:7777 clientToServer b 1",
      "udp:10.0.0.9:50000-10.0.0.1:7777 serverToClient a 1",
      "udp:10.0.0.9:50000-10.0.0.1:7777 serverToClient b 1",
    ]);
  });
});

describe("chunking property", { timeout: 120_000 }, () => {
  it("any split of a pcapng or pcap stream yields the same packets as reading it whole", async () => {
    const fc = await import("fast-check");
    const frames = Array.from({ length: 12 }, (_, index) => ({
      tUs: T0 + index * 10,
      data: udpFrame("10.1.0.1", 4000 + index, "10.1.0.2", 5000, new Uint8Array(10 + index * 37).fill(index)),
    }));
    const files = [writePcapng([{ interfaces: [{ linkType: 1, tsresol: 9 }], items: frames.map((frame) => ({ kind: "epb" as const, frame })) }]), writePcap(frames)];
    const signature = async (source: Uint8Array | Readable, engine: "pcap-parser" | "builtin") => {
      const seen: string[] = [];
      await readCapture(source, { pcapEngine: engine, onPacket: (packet) => seen.push(`${packet.index}:${packet.sourcePort}:${packet.payload.length}:${packet.payload[0]}`) });
      return seen.join(",");
    };
    for (const file of files) {
      for (const engine of ["pcap-parser", "builtin"] as const) {
        const whole = await signature(file, engine);
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: file.length - 1 }), { maxLength: 40 }), async (cuts) => {
            const points = [0, ...cuts.sort((left, right) => left - right), file.length];
            const pieces = points.slice(1).map((end, index) => Buffer.from(file.subarray(points[index], end)));
            expect(await signature(Readable.from(pieces), engine)).toBe(whole);
          }),
          { numRuns: 40, seed: 42 },
        );
      }
    }
  });
});
