import { describe, expect, it } from "vitest";
import { InputCoverage } from "./input-coverage.js";

describe("InputCoverage", () => {
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
