import { describe, expect, it } from "vitest";
import type { FieldRecord } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { forEachNumberPair } from "./field-values.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { deriveQuantization } from "./quantization.js";
import { runTrial } from "./reencoding-trials.js";
import { RetainedTrace } from "./trace.js";
import { arenaDefinition } from "./test-support/index.js";

const tolerances = new Map([
  ["x", 0.05],
  ["y", 0.05],
  ["z", 0.05],
]);

describe("on a simulated arena match (@tickscope/sim → pcapng → @tickscope/capture → arena decoder)", () => {
  it("finds a verified plan saving ≥ 15%, equal to the re-encoded stream that decodes back within tolerance", async () => {
    const match = simulateMatchToMemory({ seed: 7, players: 6, durationMs: 8000 });
    const reencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);
    const analyzer = createBandwidthAnalyzer({ reencoder, tolerances });
    const trace = new RetainedTrace(1e7, 1e9);
    const result = await runCapturePipeline({
      sources: [match.pcapng],
      decoder: createArenaEncoder().protocol,
      serverPorts: [7777],
      analyzers: [analyzer, { name: "trace", onMessage: (message) => trace.offer(message), finish: () => null }],
    });
    const report = result.reports[0] as ReturnType<typeof analyzer.finish>;
    expect(report.totals.packets).toBeGreaterThan(1000);
    expect(report.measuredWindow.reencodeSizeMismatches).toBe(0);
    expect(report.plan.savingsRatio).toBeGreaterThanOrEqual(0.15);
    expect(report.plan.steps.every((step) => step.verified)).toBe(true);
    console.log(
      `sim arena match (6 players, 8 s): ${report.plan.steps.map((step) => `${step.kind} ${(step.savingsRatio * 100).toFixed(1)}%`).join(", ")}; ` +
        `${report.recommendations.map((recommendation) => `${recommendation.id}${recommendation.verified ? "" : " (estimate)"}`).join(", ")}`,
    );

    // Re-encode the same traffic with quantization + delta, decode it back with the receiver's baselines.
    const quantization = deriveQuantization(trace.messages, reencoder, tolerances, 0.001);
    const variant = { quantize: quantization.specs, delta: { baselineReferenceBits: 16 } };
    const decoded = new Map<object, FieldRecord>();
    let bytes = 0;
    let maxError = 0;
    runTrial(trace.messages, reencoder, { variant }, (message, sent, encoded, baseline) => {
      bytes += encoded.length;
      const back = reencoder.decode(message.type, encoded.slice(), variant, baseline === undefined ? undefined : decoded.get(baseline.message));
      decoded.set(message, back);
      forEachNumberPair(sent, back, "", (path, original, received) => {
        if (quantization.specs.has(path)) maxError = Math.max(maxError, Math.abs(original - received) / (quantization.leaves.find((leaf) => leaf.path === path)!.tolerance || 0.5));
        else expect(received, path).toBe(original);
      });
    });
    const deltaStep = report.plan.steps.find((step) => step.kind === "deltaEncoding")!;
    expect(bytes).toBe(deltaStep.bytesAfter);
    // Every quantized value within its tolerance (integers: exact, normalized by 0.5).
    expect(maxError).toBeLessThanOrEqual(1 + 1e-9);
  });
});
