import { describe, expect, it } from "vitest";
import { hasErrorCode, stringifyReport, type GameMessage, type PacketObservation } from "@tickscope/core";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { forEachNumberPair } from "./field-values.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { deriveQuantization } from "./quantization.js";
import { detectQuaternions } from "./smallest-three.js";
import { runTrial } from "./reencoding-trials.js";
import { BandwidthReportSchema } from "./report-schema.js";
import { RetainedTrace } from "./trace.js";
import { cubeLayouts, feed, generateCubeScene, schemaErrors } from "./test-support/index.js";
import type { FieldRecord } from "@tickscope/core";

const tolerances = { position: 0.001, orientation: 0.001, velocity: 0.01 };

describe("bandwidth analyzer on the cube scene (901 cubes, 60 Hz, full-float snapshots)", () => {
  const scene = generateCubeScene({ cubes: 901, seconds: 1 });
  const reencoder = new LayoutReencoder(cubeLayouts());
  const started = performance.now();
  const report = feed(createBandwidthAnalyzer({ reencoder, tolerances }), scene.events);
  const elapsedMs = performance.now() - started;

  it("accounts the ~17.4 Mbit/s of full-float snapshots exactly", () => {
    // 8 + 16 + 10 + 901 × (10 × 32 + 1) = 289 255 bits → 36 157 bytes per snapshot
    const snapshot = report.byMessageType.find((entry) => entry.type === "snapshot")!;
    expect(snapshot).toMatchObject({ direction: "serverToClient", messages: scene.snapshots, bytes: 36_157 * scene.snapshots });
    // 36 157 bytes × 8 × 60 Hz = 17.36 Mbit/s of snapshots; the window also holds the acks' 100 ms tail.
    expect((36_157 * 8 * 60) / 1e6).toBeCloseTo(17.355, 3);
    expect(report.plan.megabitsPerSecondBefore).toBeGreaterThan(15.5);
    expect(report.packetSizes.fragmentedPackets).toBe(scene.snapshots);
    expect(report.packetSizes.extraFrames).toBe(scene.snapshots * 24);
    const positionX = report.byField.find((field) => field.field === "cubes[].position.x")!;
    expect(positionX).toMatchObject({ type: "snapshot", bitsPerValue: 32, values: 901 * scene.snapshots });
    expect(positionX.changeRate).toBeLessThan(0.2);
    expect(report.measuredWindow).toMatchObject({ messages: scene.snapshots + scene.acks, messageShare: 1, reencodeSizeMismatches: 0, baselineMode: "lastAcknowledged" });
  });

  it("finds quantization and delta encoding by itself and saves ≥ 90%", () => {
    const kinds = report.plan.steps.map((step) => step.kind);
    expect(kinds).toEqual(["quantization", "smallestThree", "deltaEncoding"]);
    expect(report.plan.savingsRatio).toBeGreaterThanOrEqual(0.9);
    expect(report.plan.steps.every((step) => step.verified)).toBe(true);
    const ids = report.recommendations.map((recommendation) => recommendation.id);
    expect(ids).toContain("bandwidth.delta");
    expect(ids).toContain("bandwidth.quantization");
    expect(ids).toContain("bandwidth.smallestThree");
    const ranked = report.recommendations.map((recommendation) => recommendation.bytesPerSecondSaved);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    console.log(
      `cube scene: ${report.plan.megabitsPerSecondBefore} → ${report.plan.megabitsPerSecondAfter} Mbit/s (${(report.plan.savingsRatio * 100).toFixed(2)}% saved), analysis ${Math.round(elapsedMs)} ms`,
    );
  });

  it("every verified figure is the size of the traffic actually re-encoded, and decoding it back respects the tolerances", () => {
    const trace = new RetainedTrace(1e6, 1e9);
    for (const event of scene.events) if (event.kind === "message") trace.offer(event.message);
    const quantization = deriveQuantization(trace.messages, reencoder, new Map(Object.entries(tolerances)), 0.001);
    const quaternions = detectQuaternions(trace.messages, reencoder, new Map(Object.entries(tolerances)), 0.001);
    expect([...quaternions.specs.keys()]).toEqual(["cubes[].orientation"]);
    const variant = { quantize: quantization.specs, smallestThree: quaternions.specs, delta: { baselineReferenceBits: 16 } };
    const decoded = new Map<object, FieldRecord>();
    let bytes = 0;
    let maxPositionError = 0;
    let maxVelocityError = 0;
    let maxOrientationError = 0;
    runTrial(trace.messages, reencoder, { variant }, (message, sent, encoded, baseline) => {
      bytes += encoded.length;
      const back = reencoder.decode(message.type, encoded.slice(), variant, baseline === undefined ? undefined : decoded.get(baseline.message));
      decoded.set(message, back);
      forEachNumberPair(sent, back, "", (path, original, received) => {
        const error = Math.abs(original - received);
        if (path.includes("position")) maxPositionError = Math.max(maxPositionError, error);
        else if (path.includes("velocity")) maxVelocityError = Math.max(maxVelocityError, error);
      });
      if (message.type === "snapshot") {
        // q and −q are the same rotation: compare with the sign that matches.
        const sentCubes = sent.cubes as { orientation: Record<string, number> }[];
        const backCubes = back.cubes as { orientation: Record<string, number> }[];
        sentCubes.forEach((cube, index) => {
          const a = cube.orientation;
          const b = backCubes[index]!.orientation;
          const sign = a.x! * b.x! + a.y! * b.y! + a.z! * b.z! + a.w! * b.w! < 0 ? -1 : 1;
          for (const key of ["x", "y", "z", "w"]) maxOrientationError = Math.max(maxOrientationError, Math.abs(b[key]! - sign * a[key]!));
        });
      }
    });
    expect(bytes).toBe(report.plan.bytesAfter);
    expect(report.plan.steps[2]!.bytesAfter).toBe(bytes);
    expect(maxPositionError).toBeLessThanOrEqual(0.001);
    expect(maxOrientationError).toBeLessThanOrEqual(0.001);
    expect(maxVelocityError).toBeLessThanOrEqual(0.01);
    expect(report.plan.steps[2]!.maxError).toBeLessThanOrEqual(0.01);
    expect(maxOrientationError).toBeGreaterThan(0);
    const quantized = report.recommendations.find((recommendation) => recommendation.kind === "quantization")!;
    expect(quantized.bytesAfter).toBe(runTrial(trace.messages, reencoder, { variant: { quantize: quantization.specs } }).bytes);
    expect(quantized.cost.maxError).toBeCloseTo(quantization.maxError, 9);
  });

  it("matches its JSON schema", () => {
    expect(schemaErrors(BandwidthReportSchema, JSON.parse(stringifyReport(report)))).toEqual([]);
  });
});
