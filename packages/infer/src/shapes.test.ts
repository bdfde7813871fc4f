import { describe, expect, it } from "vitest";
import type { ProtocolDefinition } from "@tickscope/core/protocol";
import { inferProtocol } from "./index.js";
import { captureFlows, exampleDefinition, simulateShape } from "./test-support/capture-flows.js";
import { lossAndRtt, scoreInference } from "./test-support/evaluation.js";

/**
 * Every shipped protocol shape, simulated: inference recovers each header
 * field with a timing role (offset, width, byte order) and the magic, and
 * reports no wrong timing field. (`pnpm --filter @tickscope/infer eval` prints
 * the same with the loss/RTT of the inferred definition.)
 */
describe.each(["arena", "le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"])("shape %s", (shape) => {
  it("recovers the header roles", async () => {
    const capture = simulateShape(shape, { seed: 3, durationMs: 12_000 });
    const inference = inferProtocol(await captureFlows(capture));
    const score = scoreInference(exampleDefinition(shape) as unknown as ProtocolDefinition, inference);
    expect(score.missed, JSON.stringify(inference.fields.map((field) => field.sentence))).toEqual([]);
    expect(score.wrong).toEqual([]);
    expect(score.found.length).toBeGreaterThanOrEqual(2);
    expect(inference.found).toBe(true);
    if (["arena", "le-wrapping-clock", "tick-clock", "combined-command"].includes(shape)) {
      // the draft measures what the shipped definition measures (the reported RTT is found behind the header)
      const declared = await lossAndRtt(capture, exampleDefinition(shape) as unknown as ProtocolDefinition);
      const inferred = await lossAndRtt(capture, inference.definition!);
      expect(Math.abs(inferred.lossPercent - declared.lossPercent)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(inferred.rttP50Ms! - declared.rttP50Ms!)).toBeLessThanOrEqual(5);
      expect(inference.reportedRtt).toMatchObject({ messageType: 1, bytes: 2, unit: "ms" });
    }
    if (shape === "arena") expect(inference.echo).toMatchObject({ requestType: 6, replyType: 7, requestOffset: 0 });
    // two counters side by side (snapshot tick, command input sequence) are not a ping/pong
    if (shape === "combined-command") expect(inference.echo).toBeUndefined();
    if (shape === "tick-clock") expect(inference.fields.find((field) => field.role === "sendTime")?.ticksPerSecond).toBe(60);
    if (shape === "le-wrapping-clock") expect(inference.fields.find((field) => field.role === "sendTime")?.unit).toBe("ms");
    if (shape === "aead-sequence64") expect(inference.payloadEntropyBitsPerByte).toBeGreaterThan(7.5);
  });
});
