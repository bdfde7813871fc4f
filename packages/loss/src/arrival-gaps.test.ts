import { describe, expect, it } from "vitest";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { MAX_ARRIVAL_GAPS } from "./sequence-space.js";
import { messagesFromSequences } from "./test-support/synthetic.js";

function rowOf(sequences: number[]) {
  const analyzer = createLossAnalyzer({});
  for (const message of messagesFromSequences(sequences, { sequenceBits: 16 })) analyzer.onMessage(message);
  return analyzer.finish().sessions[0]!;
}

describe("arrival gaps (where a stream's losses are in time)", () => {
  it("names each arrival that skipped sequence numbers, with its time and how many, in time order", () => {
    // 10 ms apart from 1 s: sequence 5 arrives 4th (t = 1.03 s) after skipping 3, 4; 9 arrives 6th (1.05 s) after skipping 7, 8.
    expect(rowOf([0, 1, 2, 5, 6, 9]).arrivalGaps).toEqual([
      { tUs: 1_030_000, skipped: 2 },
      { tUs: 1_050_000, skipped: 2 },
    ]);
  });

  it("keeps only the largest gaps, in time order, however many there are", () => {
    const sequences: number[] = [];
    let next = 0;
    // 100 gaps of 1, then one gap of 50 in the middle and one of 20 at the end.
    for (let gap = 0; gap < 100; gap++) {
      sequences.push(next, next + 1);
      next += 3;
      if (gap === 50) next += 50;
    }
    sequences.push(next + 20);
    const gaps = rowOf(sequences).arrivalGaps;
    expect(gaps).toHaveLength(MAX_ARRIVAL_GAPS);
    expect(gaps.map((gap) => gap.skipped).sort((a, b) => b - a).slice(0, 2)).toEqual([51, 21]);
    expect(gaps.map((gap) => gap.tUs)).toEqual([...gaps.map((gap) => gap.tUs)].sort((a, b) => a - b));
  });

  it("is empty without loss (reordering is not a gap that stays, but is noticed at arrival)", () => {
    expect(rowOf([0, 1, 2, 3]).arrivalGaps).toEqual([]);
    expect(rowOf([0, 2, 1, 3]).arrivalGaps).toEqual([{ tUs: 1_010_000, skipped: 1 }]);
  });
});
