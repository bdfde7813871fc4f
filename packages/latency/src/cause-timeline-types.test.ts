import { describe, expect, it } from "vitest";
import { CauseTimeline } from "./cause-timeline.js";

/** Ten 100 ms bins of steady traffic in every type, then one bin where `burstTypes` send 1000 bytes each. */
function feed(timeline: CauseTimeline, types: readonly string[], burstTypes: readonly string[]): void {
  for (let bin = 0; bin < 10; bin++) {
    for (let repeat = 0; repeat < 3; repeat++) for (const type of types) timeline.addMessageBytes(bin * 100_000 + repeat * 1000, type, 10);
  }
  for (const type of types) timeline.addMessageBytes(1_000_000, type, burstTypes.includes(type) ? 1000 : 10);
  timeline.addMessageBytes(1_050_000, types[0], 10);
}

describe("CauseTimeline message types", () => {
  it("keeps each alternating type's bytes apart, past the types found by scan", () => {
    const types = Array.from({ length: 12 }, (_, index) => `type${index}`);
    const timeline = new CauseTimeline({ lookbackMs: 0, lookaheadMs: 0 });
    feed(timeline, types, ["type10", "type3"]);
    const found = timeline.responsibleTypes(timeline.windowBins(1_000_000, 1_000_000));
    expect(found.map((entry) => entry.type)).toEqual(["type10", "type3"]);
    expect(found[0].excessBytes).toBeCloseTo(found[1].excessBytes, 6);
    expect(found[0].excessBytes).toBeGreaterThan(800);
  });

  it("counts the types beyond maxMessageTypes as 'other', however often they return", () => {
    const timeline = new CauseTimeline({ maxMessageTypes: 2, lookbackMs: 0, lookaheadMs: 0 });
    feed(timeline, ["a", "b", "c", "d"], ["c", "d"]);
    const found = timeline.responsibleTypes(timeline.windowBins(1_000_000, 1_000_000));
    expect(found[0].type).toBe("other");
    expect(found[0].excessBytes).toBeGreaterThan(1500);
    expect(found.map((entry) => entry.type)).not.toContain("c");
  });
});
