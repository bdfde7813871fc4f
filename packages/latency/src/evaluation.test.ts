import { describe, expect, it } from "vitest";
import { EVALUATION_PROFILES, evaluateScenario, summarize, type EvaluationResult } from "./test-support/evaluate-detection.js";

describe("spike detection and cause ranking on simulated matches (known truth)", () => {
  it("finds ≥ 95 % of injected spikes with ≥ 95 % precision, ranks the injected cause first in ≥ 90 %, onset at the first affected packet", () => {
    const results: EvaluationResult[] = [];
    for (const profile of EVALUATION_PROFILES) {
      for (const seed of [2, 3]) results.push(evaluateScenario({ seed, profile, sessions: 6, durationMs: 45_000 }));
    }
    const summary = summarize(results);
    const all = summary.rows.find((row) => row.kind === "all")!;
    expect(all.injected).toBeGreaterThanOrEqual(90);
    expect(summary.recall).toBeGreaterThanOrEqual(0.95);
    expect(summary.precision).toBeGreaterThanOrEqual(0.95);
    expect(all.topCauseAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(all.medianAbsoluteFirstAffectedErrorMs).toBeLessThanOrEqual(1);
    for (const row of summary.rows) expect(row.topCauseAccuracy).toBeGreaterThanOrEqual(0.8);
  });
});
