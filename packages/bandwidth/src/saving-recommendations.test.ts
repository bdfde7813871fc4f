import { describe, expect, it } from "vitest";
import type { BandwidthRecommendation } from "./bandwidth-report.js";
import { savingRecommendations } from "./saving-recommendations.js";

function recommendation(id: string, bytesBefore: number, bytesAfter: number, verified = true): BandwidthRecommendation {
  return {
    id,
    analysis: "bandwidth",
    kind: id,
    title: `Change ${id}`,
    metric: "messageBytes",
    bytesBefore,
    bytesAfter,
    savingsRatio: (bytesBefore - bytesAfter) / bytesBefore,
    bytesPerSecondSaved: bytesBefore - bytesAfter,
    verified,
    method: "test",
    scope: "the window",
    cost: { maxError: 0, addedDelayMs: 0 },
    details: {},
  };
}

describe("savingRecommendations", () => {
  it("keeps changes that save bytes, in order, and turns the others into notes", () => {
    const notes: string[] = [];
    const kept = savingRecommendations(
      [recommendation("a", 1000, 900), recommendation("delta", 2_787_444, 2_788_220), recommendation("same", 500, 500, false), recommendation("b", 10, 1)],
      notes,
    );
    expect(kept.map((entry) => entry.id)).toEqual(["a", "b"]);
    expect(notes).toEqual([
      "Not recommended: Change delta — measured 2787444 → 2788220 messageBytes (776 bytes more) on the window.",
      "Not recommended: Change same — estimated 500 → 500 messageBytes (no saving) on the window.",
    ]);
  });
});
