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

  it("counts the current bin's bytes (held per type) when scored during it, in a late bin and after a long silence", () => {
    const timeline = new CauseTimeline({ historyBins: 4, lookbackMs: 0, lookaheadMs: 0 });
    timeline.addMessageBytes(0, "a", 10);
    timeline.addMessageBytes(100_000, "a", 10);
    timeline.addMessageBytes(200_000, "a", 500);
    timeline.addMessageBytes(210_000, "b", 7);
    // Scored while bin 2 is current: its bytes are in the held sums, not yet in the rings.
    expect(timeline.responsibleTypes(timeline.windowBins(200_000, 200_000))[0]).toEqual({ type: "a", excessBytes: 500 - (520 / 3) * 1 });
    // A late message of bin 1 goes to its ring; bin 2's held bytes stay.
    timeline.addMessageBytes(150_000, "a", 900);
    expect(timeline.responsibleTypes(timeline.windowBins(100_000, 100_000))[0].excessBytes).toBeCloseTo(910 - 1420 / 3, 9);
    expect(timeline.responsibleTypes(timeline.windowBins(200_000, 200_000))[0].excessBytes).toBeCloseTo(500 - 1420 / 3, 9);
    // A silence longer than the history clears every ring slot, the held bin's included.
    timeline.addMessageBytes(2_000_000, "b", 3);
    const types = timeline.responsibleTypes(timeline.windowBins(1_700_000, 2_000_000));
    expect(types.map((entry) => entry.type)).toEqual(["b"]); // a's 500 held bytes of bin 2 (slot of bin 18) are gone
    timeline.addMessageBytes(2_050_000, "b", 4000);
    expect(timeline.responsibleTypes(timeline.windowBins(2_000_000, 2_000_000))[0].type).toBe("b");
  });
});
