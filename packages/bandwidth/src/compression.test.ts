import { describe, expect, it } from "vitest";
import { deflateRawSync } from "node:zlib";
import { COMPRESSION_FLAG_BYTES, runCompressionTrials, trainDictionary } from "./compression.js";
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
    expect(deflate).toEqual({ algorithm: "deflate", mode: "perPacket", bytesBefore: 4 * text.length, bytesAfter: expected, savingsRatio, savingsRatioLow: savingsRatio, savingsRatioHigh: savingsRatio });
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
    expect(runCompressionTrials([])).toEqual({ sampledPackets: 0, sampledBytes: 0, populationPackets: 0, trials: [], byMessageType: [] });
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
});
