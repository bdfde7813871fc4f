import { describe, expect, it } from "vitest";
import { TickscopeError } from "@tickscope/core";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { readCapture, type CaptureSummary, type PcapEngine } from "./read-capture.js";
import { writePcap, writePcapng, type FrameRecord } from "./test-support/capture-writer.js";
import { ethernet, ipv4, ipv4Fragments, ipv6, linuxSll, udp, udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_600_000_000_000_000;
const text = (value: string) => new TextEncoder().encode(value);

const frames: FrameRecord[] = [
  { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, text("one")) },
  { tUs: T0 + 10, data: udpFrame("10.0.0.1", 7777, "10.0.0.2", 50000, text("two two")) },
  ...ipv4Fragments("10.0.0.2", "10.0.0.1", udp(50000, 7777, text("x".repeat(40))), 24, 9).map((fragment, index) => ({
    tUs: T0 + 20 + index,
    data: ethernet(0x0800, fragment),
  })),
  { tUs: T0 + 30, data: ethernet(0x86dd, ipv6("fd00::1", "fd00::2", udp(1, 2, text("six")))) },
];

/** Runs a read, returning the summary, or the typed error; anything else fails the test. */
async function safeRead(bytes: Uint8Array, engine: PcapEngine = "pcap-parser"): Promise<{ summary?: CaptureSummary; error?: TickscopeError; packets: number }> {
  let packets = 0;
  try {
    const summary = await readCapture(bytes, { onPacket: () => void packets++, pcapEngine: engine, reassembly: { timeoutUs: 1e6 } });
    return { summary, packets };
  } catch (error) {
    expect(TickscopeError.isInstance(error), `untyped error: ${String(error)}`).toBe(true);
    return { error: error as TickscopeError, packets };
  }
}

function recordEnds(file: Uint8Array, format: "pcap" | "pcapng"): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ends: number[] = [];
  if (format === "pcap") {
    for (let offset = 24; offset < file.length; offset += 16 + view.getUint32(offset + 8, true)) ends.push(offset + 16 + view.getUint32(offset + 8, true));
  } else {
    for (let offset = 0; offset < file.length; offset += view.getUint32(offset + 4, true)) {
      if (view.getUint32(offset, true) === 6) ends.push(offset + view.getUint32(offset + 4, true));
    }
  }
  return ends;
}

function blockEnds(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ends: number[] = [];
  for (let offset = 0; offset < file.length; offset += view.getUint32(offset + 4, true)) ends.push(offset + view.getUint32(offset + 4, true));
  return ends;
}

describe("captures cut at every offset", { timeout: 120_000 }, () => {
  const pcap = writePcap(frames);
  const pcapng = writePcapng([{ interfaces: [{ linkType: 1 }], items: frames.map((frame) => ({ kind: "epb" as const, frame })) }]);
  for (const [format, file, engines] of [
    ["pcap", pcap, ["pcap-parser", "builtin"]],
    ["pcapng", pcapng, ["builtin"]],
  ] as const) {
    for (const engine of engines) {
      it(`${format} (${engine}): every frame before the cut, a count for the cut, never a crash`, async () => {
        const ends = recordEnds(file, format);
        expect(ends).toHaveLength(frames.length);
        for (let cut = 0; cut <= file.length; cut++) {
          const result = await safeRead(file.subarray(0, cut), engine);
          if (result.error !== undefined) {
            expect(cut).toBeLessThan(4);
            continue;
          }
          const complete = ends.filter((end) => end <= cut).length;
          expect(result.summary!.packets, `cut at ${cut}`).toBe(complete);
          const atBoundary = cut === file.length || ends.includes(cut) || (format === "pcap" ? cut === 24 : blockEnds(file).includes(cut));
          const damage = (result.summary!.anomalies.E_TRUNCATED ?? 0) + (result.summary!.anomalies.E_BAD_BLOCK_LENGTH ?? 0);
          if (!atBoundary) expect(damage, `cut at ${cut}`).toBeGreaterThan(0);
          if (cut === file.length) expect(result.summary!.anomalies).toEqual({});
        }
      });
    }
  }
});

describe("pcapng resynchronization", () => {
  it("skips a block with a damaged length and reads the packets after it", async () => {
    const file = writePcapng([{ interfaces: [{ linkType: 1 }], items: frames.map((frame) => ({ kind: "epb" as const, frame })) }]);
    const ends = recordEnds(file, "pcapng");
    const damaged = file.slice();
    const view = new DataView(damaged.buffer);
    const secondBlock = ends[0];
    view.setUint32(secondBlock + 4, 0x7ffffff0, true); // impossible length
    const result = await safeRead(damaged);
    expect(result.summary!.anomalies.E_BAD_BLOCK_LENGTH).toBe(1);
    expect(result.summary!.packets).toBe(frames.length - 1);
    const trailer = file.slice();
    new DataView(trailer.buffer).setUint32(ends[1] - 4, 12345, true); // trailer mismatch
    const second = await safeRead(trailer);
    expect(second.summary!.anomalies.E_BAD_BLOCK_LENGTH).toBe(1);
    expect(second.summary!.packets).toBe(frames.length - 1);
    const plausibleButWrong = file.slice();
    new DataView(plausibleButWrong.buffer).setUint32(secondBlock + 4, 4096, true); // plausible length, past the end
    const third = await safeRead(plausibleButWrong);
    expect(third.summary!.packets).toBe(frames.length - 1);
    expect(third.summary!.anomalies.E_TRUNCATED ?? third.summary!.anomalies.E_BAD_BLOCK_LENGTH).toBe(1);
  });

  it("stops a pcap at an impossible record length (no resync marker in pcap) for both engines", async () => {
    const file = writePcap(frames);
    const damaged = file.slice();
    const secondRecord = recordEnds(file, "pcap")[0];
    new DataView(damaged.buffer).setUint32(secondRecord + 8, 0x40000000, true);
    for (const engine of ["pcap-parser", "builtin"] as const) {
      const result = await safeRead(damaged, engine);
      expect(result.summary!.packets).toBe(1);
      expect(result.summary!.anomalies).toEqual({ E_BAD_BLOCK_LENGTH: 1 });
    }
  });
});

describe("random mutations", { timeout: 120_000 }, () => {
  // deterministic PRNG (mulberry32) so failures reproduce
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sll = linuxSll(0x0800, ipv4("192.168.0.1", "192.168.0.2", udp(9, 10, text("sll"))));
  const pcapng = writePcapng([
    { interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 113 }], items: [...frames.map((frame) => ({ kind: "epb" as const, frame })), { kind: "epb", frame: { tUs: T0 + 50, data: sll, interfaceId: 1 } }, { kind: "spb", data: frames[0].data }] },
    { littleEndian: false, interfaces: [{ linkType: 1 }], items: frames.map((frame) => ({ kind: "pb" as const, frame })) },
  ]);
  const pcap = writePcap(frames, { nanoseconds: true });
  for (const [format, file] of [
    ["pcapng", pcapng],
    ["pcap", pcap],
  ] as const) {
    it(`${format}: 400 mutated copies give summaries or typed errors, never a crash or hang`, async () => {
      const next = random(format === "pcap" ? 1 : 2);
      let typedErrors = 0;
      let withAnomalies = 0;
      for (let round = 0; round < 400; round++) {
        const copy = file.slice();
        const flips = 1 + Math.floor(next() * 8);
        for (let i = 0; i < flips; i++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
        for (const engine of format === "pcap" ? (["pcap-parser", "builtin"] as const) : (["builtin"] as const)) {
          const result = await safeRead(copy, engine);
          if (result.error !== undefined) typedErrors += 1;
          else if (Object.keys(result.summary!.anomalies).length > 0) withAnomalies += 1;
        }
      }
      expect(typedErrors + withAnomalies).toBeGreaterThan(0);
    });
  }
});

describe.skipIf(!hasSharedCaptures)(`damaged public captures (${hasSharedCaptures ? "shared" : sharedCapturesSkipReason})`, () => {
  for (const engine of ["pcap-parser", "builtin"] as const) {
    it(`ndpi_fuzz-2021-10-13.pcap (${engine}): the one record (its 524501 declared wire bytes counted as E_BAD_WIRE_LENGTH, 197 captured summed), then E_TRUNCATED`, async () => {
      const summary = await readCapture(sharedCapturePath("ndpi_fuzz-2021-10-13.pcap"), { onPacket: () => {}, pcapEngine: engine });
      expect(summary.packets).toBe(1);
      expect(summary.nanosecondPcap).toBe(true);
      expect(summary.bytes).toBe(197);
      expect(summary.anomalies).toEqual({ E_BAD_WIRE_LENGTH: 1, E_TRUNCATED: 1 });
    });

    it(`ndpi_badpackets.pcap (${engine}): all 93 frames, cut first fragments counted`, async () => {
      const summary = await readCapture(sharedCapturePath("ndpi_badpackets.pcap"), { onPacket: () => {}, pcapEngine: engine });
      expect(summary.packets).toBe(93);
      expect(summary.snaplenTruncatedFrames).toBe(7);
      expect(summary.anomalies.E_INCOMPLETE_FRAGMENT).toBeGreaterThan(0);
    });
  }
});
