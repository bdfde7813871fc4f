import { describe, expect, it } from "vitest";
import { InputCoverage } from "./input-coverage.js";

describe("InputCoverage", () => {
  it("counts messages by inputCount across runs of one count, with saves in the middle of a run", () => {
    const coverage = new InputCoverage(64);
    const counts = [3, 3, 3, 2, 2, 3, 3, 3, 3, 70, 64, 1, undefined, 2, 2, 2, 2, 2, 2];
    const plain = new Map<number, number>();
    let top = 0;
    counts.forEach((inputCount, index) => {
      coverage.observe(top++, inputCount, 10);
      const pooled = Math.min(inputCount ?? 1, 32, 64);
      plain.set(pooled, (plain.get(pooled) ?? 0) + 1);
      if (index === 7) {
        // Saved twice mid-run: the run is counted once.
        coverage.saveState();
        expect(coverage.saveState().redundancyCounts).toEqual([[2, 2], [3, 6]]);
      }
      if (index === 8) expect(coverage.currentRedundancy).toBe(3);
    });
    expect(new Map(coverage.saveState().redundancyCounts)).toEqual(plain);
    // Eight 2s outnumber seven 3s only once the last run (six 2s) is counted too.
    expect(coverage.currentRedundancy).toBe(2);
    expect(InputCoverage.fromState(coverage.saveState()).currentRedundancy).toBe(2);
  });

  it("loses an input only when every message carrying it was lost", () => {
    const coverage = new InputCoverage(64);
    // Redundancy 2: messages for inputs 0..9, messages 4 and 5 lost → input 4 lost (carried by 4 and 5 only).
    for (const top of [0, 1, 2, 3, 6, 7, 8, 9]) coverage.observe(top, 2, 30);
    coverage.finish();
    expect(coverage.expected).toBe(11); // -1..9: the first message also carried input -1
    expect(coverage.lost).toBe(1);
    expect(coverage.currentRedundancy).toBe(2);
    expect(coverage.bytes).toBe(240);
  });

  it("finalizes through a bounded window and restarts on a jump without phantom loss", () => {
    const coverage = new InputCoverage(64);
    for (let top = 0; top < 200; top++) if (top !== 100) coverage.observe(top, 1, 10);
    coverage.observe(100_000, 1, 10);
    coverage.observe(100_001, undefined, 10);
    coverage.observe(50, 1, 10); // far in the past again: another restart
    coverage.finish();
    expect(coverage.resets).toBe(2);
    expect(coverage.lost).toBe(1);
    expect(coverage.expected).toBe(200 + 2 + 1);
    coverage.finish();
    expect(new InputCoverage().currentRedundancy).toBe(1);
  });
});
