import { describe, expect, it } from "vitest";
import { deflateRawSync } from "node:zlib";
import {
  COMPRESSION_FLAG_BYTES,
  COMPRESSION_TARGET_HALF_WIDTH,
  MIN_COMPRESSION_TRIAL_PACKETS,
  PER_STREAM_DEFLATE_LEVEL,
  deflatedBytes,
  nextSubsampleSize,
  reverseBits32,
  runCompressionTrials,
  sampleDepths,
  sampleOrder,
  trainDictionary,
  windowBitsFor,
} from "./compression.js";
import type { PayloadSample } from "./packet-observer.js";

function sample(index: number, payload: Uint8Array, type?: string): PayloadSample {
  const result: PayloadSample = { streamKey: index % 2 === 0 ? "a" : "b", packetIndex: index, tUs: index * 1000, payload };
  if (type !== undefined) result.firstMessageType = type;
  return result;
}

function pseudoRandom(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

describe("compression trials", () => {
  it("measures per-packet deflate exactly, with the 1-byte flag", () => {
    const text = new TextEncoder().encode("player moved north player moved north player moved north ".repeat(4));
    const samples = [0, 1, 2, 3].map((index) => sample(index, text, "chat"));
    const report = runCompressionTrials(samples);
    const deflate = report.trials.find((trial) => trial.algorithm === "deflate" && trial.mode === "perPacket")!;
    const expected = 4 * (deflateRawSync(text, { level: 9 }).length + COMPRESSION_FLAG_BYTES);
    const savingsRatio = Math.round(((4 * text.length - expected) / (4 * text.length)) * 1e6) / 1e6;
    // Every datagram compressed: the interval is the exact value.
    expect(deflate).toEqual({ algorithm: "deflate", mode: "perPacket", bytesBefore: 4 * text.length, bytesAfter: expected, savingsRatio, savingsRatioLow: savingsRatio, savingsRatioHigh: savingsRatio, sampledPackets: 4, populationPackets: 4 });
    expect(report.populationPackets).toBe(4);
    expect(report.trials.map((trial) => `${trial.algorithm}/${trial.mode}`)).toEqual(["deflate/perPacket", "brotli/perPacket", "deflate/perPacketDictionary", "deflate/perStream"]);
    for (const trial of report.trials) expect(trial.savingsRatio).toBeGreaterThan(0.5);
    expect(report.byMessageType).toEqual([{ type: "chat", packets: 4, bytesBefore: 4 * text.length, deflateBytesAfter: expected, savingsRatio: deflate.savingsRatio }]);
  });

  it("sends incompressible payloads raw (size + flag) and labels undecoded datagrams", () => {
    const samples = [sample(0, pseudoRandom(200, 1)), sample(1, pseudoRandom(200, 2))];
    const report = runCompressionTrials(samples);
    expect(report.trials[0]!.bytesAfter).toBe(400 + 2 * COMPRESSION_FLAG_BYTES);
    expect(report.trials[0]!.savingsRatio).toBeLessThan(0);
    expect(report.byMessageType[0]!.type).toBe("(undecoded)");
  });

  it("a trained dictionary helps short repetitive packets", () => {
    const template = new TextEncoder().encode("{\"type\":\"state\",\"player\":12,\"health\":100,\"ammo\":30}");
    const samples = Array.from({ length: 40 }, (_, index) => sample(index, template));
    const report = runCompressionTrials(samples);
    const plain = report.trials.find((trial) => trial.mode === "perPacket" && trial.algorithm === "deflate")!;
    const dictionary = report.trials.find((trial) => trial.mode === "perPacketDictionary")!;
    expect(dictionary.savingsRatio).toBeGreaterThan(plain.savingsRatio);
    expect(runCompressionTrials([])).toEqual({ sampledPackets: 0, sampledBytes: 0, populationPackets: 0, targetHalfWidth: COMPRESSION_TARGET_HALF_WIDTH, trials: [], byMessageType: [] });
    expect(runCompressionTrials([sample(0, template)]).trials.map((trial) => trial.mode)).toEqual(["perPacket", "perPacket", "perStream"]);
  });

  it("states a 95% interval when the sample was drawn from more datagrams, and none for one datagram of many", () => {
    const samples = Array.from({ length: 200 }, (_, index) => sample(index, index % 3 === 0 ? pseudoRandom(120, index) : new Uint8Array(120).fill(index % 7)));
    const report = runCompressionTrials(samples, 20_000);
    expect(report.populationPackets).toBe(20_000);
    for (const trial of report.trials.filter((entry) => entry.mode !== "perStream")) {
      expect(trial.savingsRatioLow!).toBeLessThan(trial.savingsRatio);
      expect(trial.savingsRatioHigh!).toBeGreaterThan(trial.savingsRatio);
    }
    expect(report.trials.find((entry) => entry.mode === "perStream")!.savingsRatioLow).toBeUndefined();
    expect(runCompressionTrials([samples[1]!], 10).trials[0]!.savingsRatioLow).toBeUndefined();
  });

  it("trains a dictionary of at most 32 KiB from the newest payloads", () => {
    const big = Array.from({ length: 10 }, (_, index) => sample(index, new Uint8Array(5000).fill(index)));
    const dictionary = trainDictionary(big);
    expect(dictionary.length).toBe(32768);
    expect(dictionary[dictionary.length - 1]).toBe(9);
    expect(dictionary[0]).toBe(3);
  });

  it("sizes the deflate window to the payload without changing a compressed byte", () => {
    expect(windowBitsFor(0)).toBe(9);
    expect(windowBitsFor(250)).toBe(9);
    expect(windowBitsFor(251)).toBe(10);
    expect(windowBitsFor(32768 - 262)).toBe(15);
    expect(windowBitsFor(1_000_000)).toBe(15);
    const text = new TextEncoder().encode("player moved north, player moved south; ".repeat(900));
    for (const length of [1, 20, 249, 250, 251, 700, 762, 763, 1500, 4000, 16_000, 32_506, 36_000]) {
      for (const payload of [text.subarray(0, length), pseudoRandom(length, length)]) {
        expect(deflatedBytes(payload), `length ${length}`).toBe(deflateRawSync(payload, { level: 9 }).length);
      }
    }
  });

  it("measures nested subsamples until the interval is narrow enough, and says how many it measured", () => {
    // 8 192 datagrams drawn at 1/8 from 65 536: three kinds of payload, so the saving varies per datagram.
    const samples: PayloadSample[] = [];
    for (let index = 0; samples.length < 8192; index++) {
      const kind = index % 3;
      const payload = kind === 0 ? pseudoRandom(90, index) : kind === 1 ? new Uint8Array(60 + (index % 50)).fill(index % 5) : new TextEncoder().encode(`{"player":${index % 97},"x":${index % 1000}}`);
      samples.push(sample(index, payload, `kind${kind}`));
    }
    const depths = sampleDepths(samples);
    // Depth d holds about 2^−d of the datagrams (hash trailing zeros).
    const deep = depths.filter((depth) => depth >= 3).length;
    expect(deep).toBeGreaterThan(8192 / 8 - 150);
    expect(deep).toBeLessThan(8192 / 8 + 150);
    const report = runCompressionTrials(samples, 65_536, 0.04);
    const perPacket = report.trials.filter((entry) => entry.mode !== "perStream");
    const bestLow = Math.max(...perPacket.map((trial) => trial.savingsRatioLow!));
    for (const trial of perPacket) {
      expect(trial.sampledPackets).toBeGreaterThanOrEqual(MIN_COMPRESSION_TRIAL_PACKETS);
      expect(trial.sampledPackets).toBeLessThan(trial.mode === "perPacket" ? 8192 : 4096);
      // Precise enough, or wholly below a rival: it cannot be the one recommended.
      const halfWidth = (trial.savingsRatioHigh! - trial.savingsRatioLow!) / 2;
      expect(halfWidth <= 0.04 || trial.savingsRatioHigh! < bestLow, `${trial.algorithm}/${trial.mode}`).toBe(true);
    }
    const deflate = report.trials[0]!;
    // The measured subsample is exactly a prefix of the measuring order, each compressed as deflatedBytes says.
    const measured = [...sampleOrder(samples).subarray(0, deflate.sampledPackets)].map((index) => samples[index]!);
    expect(deflate.bytesAfter).toBe(measured.reduce((total, entry) => total + Math.min(entry.payload.length, deflatedBytes(entry.payload)) + COMPRESSION_FLAG_BYTES, 0));
    expect(report.byMessageType.reduce((total, entry) => total + entry.packets, 0)).toBe(deflate.sampledPackets);
    // The full-sample figure lies inside the subsample's interval.
    const full = runCompressionTrials(samples, 65_536, 0);
    expect(full.trials[0]!.sampledPackets).toBe(8192);
    expect(full.trials[0]!.savingsRatio).toBeGreaterThanOrEqual(deflate.savingsRatioLow!);
    expect(full.trials[0]!.savingsRatio).toBeLessThanOrEqual(deflate.savingsRatioHigh!);
    // A looser target measures fewer datagrams.
    expect(runCompressionTrials(samples, 65_536, 0.2).trials[0]!.sampledPackets).toBeLessThanOrEqual(deflate.sampledPackets);
  });

  it("orders the sample so that every depth level is a prefix, and every prefix a random subsample", () => {
    expect(reverseBits32(1)).toBe(0x8000_0000);
    expect(reverseBits32(0x8000_0000)).toBe(1);
    expect(reverseBits32(0b1011)).toBe(0xd000_0000);
    expect(reverseBits32(0xffff_ffff)).toBe(0xffff_ffff);
    const samples = Array.from({ length: 4000 }, (_, index) => sample(index, new Uint8Array(10)));
    const depths = sampleDepths(samples);
    const order = sampleOrder(samples);
    expect([...order].sort((a, b) => a - b)).toEqual(samples.map((_, index) => index));
    // Depth never increases along the order: the datagrams of depth ≥ d come first, for every d.
    for (let position = 1; position < order.length; position++) expect(depths[order[position]!]!).toBeLessThanOrEqual(depths[order[position - 1]!]!);
    // A prefix is spread over the whole sample, not its start: each quarter holds about a quarter of the first 1 000.
    const quarters = [0, 0, 0, 0];
    for (const index of order.subarray(0, 1000)) quarters[Math.floor(index / 1000)]! += 1;
    for (const count of quarters) expect(Math.abs(count - 250)).toBeLessThan(60);
  });

  it("grows a subsample to the size its interval predicts, by at least a quarter, within what is available", () => {
    // ±4 points measured on 512 datagrams, target ±2: four times as many, plus the margin.
    expect(nextSubsampleSize(512, 0.04, 0.02, 10_000)).toBe(Math.ceil(512 * 4 * 1.1));
    expect(nextSubsampleSize(512, 0.021, 0.02, 10_000)).toBe(640);
    expect(nextSubsampleSize(512, 0.04, 0.02, 1000)).toBe(1000);
  });

  it("measures the per-stream trial at zlib's default level over each stream's sampled datagrams in order", () => {
    const samples = Array.from({ length: 30 }, (_, index) => sample(index, new TextEncoder().encode(`{"tick":${index},"player":${index % 4},"state":"running north"}`)));
    const report = runCompressionTrials(samples);
    const perStream = report.trials.find((trial) => trial.mode === "perStream")!;
    const streamBytes = (key: string): number =>
      deflateRawSync(Buffer.concat(samples.filter((entry) => entry.streamKey === key).map((entry) => entry.payload)), { level: PER_STREAM_DEFLATE_LEVEL }).length;
    expect(PER_STREAM_DEFLATE_LEVEL).toBe(6);
    expect(perStream.bytesAfter).toBe(streamBytes("a") + streamBytes("b"));
  });
});
