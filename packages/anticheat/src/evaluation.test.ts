import { describe, expect, it } from "vitest";
import { CHEAT_KINDS } from "./cheat-kind.js";
import { EVALUATION_SCENARIOS, formatEvaluation, formatScenarios, runEvaluation, runScenarioEvaluation } from "./test-support/evaluation.js";

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

// The shape scenarios of issue 14 §4 on a reduced grid (bench/eval.ts runs the full one):
// shots in the input's datagram, a cheat early in a long capture, netcode-like handshake
// retries, a wrong key and a wrong definition; honest players on every network profile.
// Full durations: a reported RTT inflated from its first report is told from an honest SRTT's
// first-sample transient only after the report has had time to forget its start (the fake-latency
// detector's initial credit decays with reportedRttSmoothingMs), which a 30-s capture barely gives.
describe("shape scenarios (floors)", () => {
  const results = runScenarioEvaluation([101], { honestPerProfile: 2, cheatersPerCell: 1, scale: 1 });
  const judged = results.filter((result) => result.scenario.inputFault === undefined);

  it("finds every planted kind with recall >= 90% on every judged scenario, with its own kind", () => {
    expect(results.map((result) => result.scenario.name)).toEqual(EVALUATION_SCENARIOS.map((scenario) => scenario.name));
    for (const result of judged) {
      for (const row of result.rows) {
        expect(row.cheaters, `${result.scenario.name} ${row.kind}`).toBe(3);
        expect(row.recall, `${result.scenario.name} ${row.kind}: ${result.misses.join("; ")}`).toBeGreaterThanOrEqual(0.9);
      }
    }
    // Fake lag found as fake lag, never as rewind abuse (its rewinds are honest in its own clock).
    for (const result of judged) expect(result.rows.find((row) => row.kind === "fakeLatency")?.otherKinds.rewindAbuse ?? 0).toBe(0);
  });

  it("keeps honest players clean (<= 1%), handshake retries included", () => {
    const honest = results.reduce((sum, result) => sum + result.honest, 0);
    const flagged = results.reduce((sum, result) => sum + result.honestFlagged, 0);
    expect(honest).toBe(72);
    expect(flagged / honest, results.flatMap((result) => result.falsePositives).join("; ")).toBeLessThanOrEqual(0.01);
    expect(results.find((result) => result.scenario.name === "handshake")!.honestFlagged).toBe(0);
  });

  it("reports a wrong key or definition as an input problem and judges nobody", () => {
    for (const result of results.filter((entry) => entry.scenario.inputFault !== undefined)) {
      expect(result.playersFlagged, result.scenario.name).toBe(0);
      expect(result.inputProblemSessions, result.scenario.name).toBe(result.players);
    }
  });

  it("formats the scenario tables", () => {
    const table = formatScenarios(results);
    expect(table).toContain("| bundled | fakeLatency | 3 | 100.0% |");
    expect(table).toContain("input problem: not judged");
  });
});
