import { describe, expect, it } from "vitest";
import { CHEAT_KINDS } from "./cheat-kind.js";
import { formatEvaluation, runEvaluation } from "./test-support/evaluation.js";

// A smaller run of the README evaluation (bench/eval.ts): 2 seeds, 30 s, every cheat
// kind at low/medium/high intensity, honest players on six network profiles plus a
// shared-path stall. The floors are the issue's: recall ≥ 90% per kind, false-positive
// rate ≤ 1% overall and ≤ 2% on the bad networks.
describe("labelled evaluation (floors)", () => {
  const result = runEvaluation({ seeds: [101, 202], durationSeconds: 30, honestPerProfile: 8, cheatersPerCell: 1, sharedPathPlayers: 10 });

  it("detects every cheat kind with recall >= 90%", () => {
    expect(result.rows.map((row) => row.kind)).toEqual([...CHEAT_KINDS]);
    for (const row of result.rows) {
      expect(row.cheaters, row.kind).toBe(6);
      expect(row.recall, `${row.kind}: ${result.misses.join("; ")}`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("keeps honest players clean: FPR <= 1% overall, <= 2% on bad networks", () => {
    expect(result.honest).toBe(96);
    expect(result.falsePositiveRate, result.falsePositives.join("; ")).toBeLessThanOrEqual(0.01);
    expect(result.badNetworkFalsePositiveRate, result.falsePositives.join("; ")).toBeLessThanOrEqual(0.02);
  });

  it("tells a shared path stall from lag switches", () => {
    expect(result.sharedOutagesDiscarded).toBeGreaterThan(0);
  });

  it("formats the README table", () => {
    const table = formatEvaluation(result);
    expect(table).toContain("| speedhack | 6 |");
    expect(table).toContain("**all honest** | 96 |");
  });
});
