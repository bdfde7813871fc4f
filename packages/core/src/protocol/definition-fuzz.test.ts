import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyStatistics, runHostileDefinitionCase, runParityCase } from "./test-support/definition-fuzz-targets.js";

/**
 * The definition compiler's fuzzing contract with a short budget (issue 19);
 * `pnpm fuzz` runs the same cases for long (packages/core/fuzz/definitions.fuzz.ts).
 * fast-check draws the seeds and prints the failing one.
 */
describe("definition compiler fuzzing contract", () => {
  it("hostile definitions: protocol check and decode agree on what is safe", () => {
    const statistics = emptyStatistics();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        expect(runHostileDefinitionCase(seed, statistics)).toEqual([]);
      }),
      { numRuns: 300 },
    );
    // The generator reaches past validation: some hostile definitions compile and decode.
    expect(statistics.accepted).toBeGreaterThan(20);
    expect(statistics.datagrams).toBeGreaterThan(100);
  });

  it("random valid definitions: compiled = interpreted, and decode → encode → decode keeps the values", () => {
    const statistics = emptyStatistics();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        expect(runParityCase(seed, statistics).escapes).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(statistics.accepted).toBeGreaterThan(100);
    expect(statistics.roundTrips).toBeGreaterThan(20);
  });
});
