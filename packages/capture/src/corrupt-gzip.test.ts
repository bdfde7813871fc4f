import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@tickscope/core";
import { readCapture, type PcapEngine } from "./read-capture.js";
import { readServerLog } from "./server-log.js";
import { simplePcapng, writePcap } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;

/** A capture of `count` UDP frames with pseudo-random payloads (compresses like real traffic, not to nothing). */
function capture(count: number, format: "pcap" | "pcapng"): Uint8Array {
  let state = 12345;
  const frames = Array.from({ length: count }, (_, index) => {
    const payload = new Uint8Array(60 + (index % 90));
    for (let byte = 0; byte < payload.length; byte++) {
      state = (state * 1103515245 + 12345) >>> 0;
      payload[byte] = byte < 8 ? index >> (byte * 4) : state >>> 24 & 0x3f;
    }
    return { tUs: T0 + index * 1000, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload) };
  });
  return format === "pcap" ? writePcap(frames) : simplePcapng(frames);
}

/** Flips bits of the gzip trailer: the CRC-32 (`crc`) or the uncompressed length (`length`). */
function corruptTrailer(compressed: Uint8Array, field: "crc" | "length"): Uint8Array {
  const damaged = Uint8Array.from(compressed);
  damaged[damaged.length - (field === "crc" ? 8 : 4)] ^= 0x5a;
  return damaged;
}

async function countPackets(source: Uint8Array | Readable, engine: PcapEngine = "pcap-parser") {
  let packets = 0;
  const summary = await readCapture(source, { onPacket: () => void packets++, pcapEngine: engine });
  return { packets, summary };
}

describe("corrupt gzip (issue 19 item 8)", () => {
  for (const format of ["pcap", "pcapng"] as const) {
    it(`keeps every packet of a ${format}.gz whose CRC or length is wrong, and reports E_GZIP_CORRUPT`, async () => {
      // ~3 MB uncompressed: more than one zlib output chunk, so the last chunk is the one that used to vanish
      const bytes = capture(20_000, format);
      const compressed = gzipSync(bytes);
      for (const field of ["crc", "length"] as const) {
        for (const engine of format === "pcap" ? (["pcap-parser", "builtin"] as const) : (["pcap-parser"] as const)) {
          const { packets, summary } = await countPackets(corruptTrailer(compressed, field), engine);
          expect(packets).toBe(20_000);
          expect(summary.packets).toBe(20_000);
          expect(summary.anomalies).toEqual({ [ErrorCode.gzipCorrupt]: 1 });
        }
      }
    });
  }

  it("keeps the packets of a small capture whose CRC is wrong (was: 0 bytes), from bytes and from a stream in pieces", async () => {
    const bytes = capture(5, "pcap");
    const damaged = corruptTrailer(gzipSync(bytes), "crc");
    const fromBytes = await countPackets(damaged);
    expect(fromBytes.packets).toBe(5);
    expect(fromBytes.summary.bytes).toBeGreaterThan(0);
    expect(fromBytes.summary.anomalies).toEqual({ [ErrorCode.gzipCorrupt]: 1 });
    for (const size of [1, 3, 8, 9, 100]) {
      const pieces = Array.from({ length: Math.ceil(damaged.length / size) }, (_, index) => Buffer.from(damaged.subarray(index * size, index * size + size)));
      const fromStream = await countPackets(Readable.from(pieces), "builtin");
      expect(fromStream.packets).toBe(5);
      expect(fromStream.summary.anomalies).toEqual({ [ErrorCode.gzipCorrupt]: 1 });
    }
  });

  it("still reads an intact gzip without anomalies and counts a cut one as E_TRUNCATED", async () => {
    const bytes = capture(3000, "pcapng");
    const compressed = gzipSync(bytes);
    const intact = await countPackets(compressed);
    expect(intact.packets).toBe(3000);
    expect(intact.summary.anomalies).toEqual({});
    const cut = await countPackets(compressed.subarray(0, compressed.length - 3));
    expect(cut.packets).toBe(3000);
    expect(cut.summary.anomalies[ErrorCode.truncated]).toBe(1);
  });

  it("keeps every line of a server log whose gzip CRC is wrong", async () => {
    const text = Array.from({ length: 20_000 }, (_, index) => JSON.stringify({ t: index, type: "tick", noise: (index * 2654435761) >>> 0 })).join("\n") + "\n";
    const damaged = corruptTrailer(gzipSync(new TextEncoder().encode(text)), "crc");
    const result = await readServerLog(damaged, { timeField: "t", timeUnit: "ms", typeField: "type" });
    expect(result.events).toHaveLength(20_000);
    expect(result.anomalies).toEqual({ [ErrorCode.gzipCorrupt]: 1 });
  });
});
