import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runCapturePipeline } from "@tickscope/capture";
import { payloadFingerprint } from "@tickscope/core";
import { compileProtocol } from "@tickscope/core/protocol";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { BandwidthReport, CompressionTrial } from "./bandwidth-report.js";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { COMPRESSION_FLAG_BYTES, deflatedBytes, trainDictionary } from "./compression.js";
import type { PayloadSample } from "./packet-observer.js";
import { datagramHash, PayloadSampler } from "./payload-sampler.js";

interface Datagram {
  packetIndex: number;
  tUs: number;
  payload: Uint8Array;
}

/** Savings ratio of a per-packet scheme over every datagram (raw when smaller, plus the flag). */
function fullSavingsRatio(datagrams: readonly Datagram[], compress: (payload: Uint8Array) => number): number {
  let before = 0;
  let after = 0;
  for (const { payload } of datagrams) {
    before += payload.length;
    after += Math.min(payload.length, compress(payload)) + COMPRESSION_FLAG_BYTES;
  }
  return 1 - after / before;
}

/**
 * Runs the bandwidth analyzer on a capture while keeping every datagram payload, then
 * compresses every datagram (the full-data figure) and checks that each per-packet
 * trial's 95% interval, measured on its subsample, covers it.
 */
async function checkCoverage(label: string, source: string | Uint8Array, decoder: Parameters<typeof runCapturePipeline>[0]["decoder"], serverPorts: number[]): Promise<BandwidthReport> {
  const datagrams: Datagram[] = [];
  const analyzer = createBandwidthAnalyzer();
  const result = await runCapturePipeline({
    sources: [source],
    decoder,
    serverPorts,
    analyzers: [analyzer, { name: "all payloads", onMessage: () => undefined, onPacket: (packet) => void datagrams.push({ packetIndex: packet.packetIndex, tUs: packet.tUs, payload: packet.payload!.slice() }), finish: () => null }],
  });
  const report = result.reports[0] as BandwidthReport;
  const compression = report.compression;
  expect(compression.populationPackets).toBe(datagrams.length);
  // The sample itself (to train the same dictionary): the sampler's rule, replayed on every datagram.
  const sampler = new PayloadSampler(4096, 1024 * 1024);
  for (const datagram of datagrams) sampler.offer("s", "d", datagram.packetIndex, datagram.tUs, datagram.payload, datagramHash(datagram.tUs, payloadFingerprint(datagram.payload)));
  const samples: readonly PayloadSample[] = sampler.samples;
  expect(samples.length).toBe(compression.sampledPackets);
  const half = Math.floor(samples.length / 2);
  const dictionary = trainDictionary(samples.slice(0, half));
  const testStart = samples[half]!.packetIndex;
  const full: Record<string, number> = {
    "deflate/perPacket": fullSavingsRatio(datagrams, deflatedBytes),
    "brotli/perPacket": fullSavingsRatio(datagrams, (payload) => brotliCompressSync(payload, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } }).length),
    "deflate/perPacketDictionary": fullSavingsRatio(
      datagrams.filter((datagram) => datagram.packetIndex >= testStart),
      (payload) => deflateRawSync(payload, { level: 9, dictionary }).length,
    ),
  };
  const lines: string[] = [];
  for (const trial of compression.trials.filter((entry: CompressionTrial) => entry.mode !== "perStream")) {
    const key = `${trial.algorithm}/${trial.mode}`;
    const truth = full[key]!;
    lines.push(`${key} ${trial.sampledPackets}/${trial.populationPackets} measured ${(trial.savingsRatio * 100).toFixed(2)}% [${(trial.savingsRatioLow! * 100).toFixed(2)}, ${(trial.savingsRatioHigh! * 100).toFixed(2)}] full ${(truth * 100).toFixed(2)}%`);
    expect(trial.sampledPackets).toBeLessThanOrEqual(compression.sampledPackets);
    expect(truth, key).toBeGreaterThanOrEqual(trial.savingsRatioLow! - 1e-6);
    expect(truth, key).toBeLessThanOrEqual(trial.savingsRatioHigh! + 1e-6);
  }
  console.log(`${label} (${datagrams.length} datagrams, sample ${compression.sampledPackets}, target ±${compression.targetHalfWidth * 100} points):\n  ${lines.join("\n  ")}`);
  return report;
}

describe("compression trials: the stated 95% interval covers the figure of compressing every datagram", () => {
  it("on a simulated arena match (16 players, 20 s)", async () => {
    const match = simulateMatchToMemory({ seed: 7, players: 16, durationMs: 20_000 });
    const report = await checkCoverage("arena 16 × 20 s", match.pcapng, createArenaEncoder().protocol, [7777]);
    // More datagrams than the sample bound: the trials really sampled.
    expect(report.compression.populationPackets).toBeGreaterThan(report.compression.sampledPackets);
  }, 120_000);

  it.skipIf(!hasSharedCaptures)(`on firefall_1869_gameplay (real traffic)${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const definition = JSON.parse(readFileSync(new URL("../../../examples/protocols/firefall.json", import.meta.url).pathname, "utf8")) as Parameters<typeof compileProtocol>[0];
    await checkCoverage("firefall_1869", sharedCapturePath("firefall_1869_gameplay.pcapng"), compileProtocol(definition), [25000, 59238]);
  }, 120_000);
});
