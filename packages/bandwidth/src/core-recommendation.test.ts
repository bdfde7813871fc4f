import { expect, it } from "vitest";
import { toCoreRecommendation } from "./core-recommendation.js";
import type { BandwidthRecommendation } from "./bandwidth-report.js";

it("maps a bandwidth recommendation onto core's Recommendation", () => {
  const recommendation: BandwidthRecommendation = {
    id: "bandwidth.delta",
    analysis: "bandwidth",
    kind: "deltaEncoding",
    title: "Delta",
    metric: "messageBytes",
    bytesBefore: 1000,
    bytesAfter: 100,
    savingsRatio: 0.9,
    bytesPerSecondSaved: 450,
    verified: true,
    method: "re-encoded",
    scope: "first 10 messages",
    cost: { maxError: 0, addedDelayMs: 0, note: "lossless" },
    details: {},
  };
  expect(toCoreRecommendation(recommendation)).toEqual({
    id: "bandwidth.delta",
    analysis: "bandwidth",
    kind: "deltaEncoding",
    title: "Delta",
    metric: "messageBytes",
    before: 1000,
    after: 100,
    verified: true,
    method: "re-encoded (first 10 messages)",
    cost: { bytesPerSecond: -450, maxError: 0, addedDelayMs: 0, note: "lossless" },
  });
  const { note: _note, ...cost } = recommendation.cost;
  expect(toCoreRecommendation({ ...recommendation, cost }).cost.note).toBeUndefined();
});
