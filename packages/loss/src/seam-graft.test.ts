import { describe, expect, it } from "vitest";
import { InputCoverage } from "./input-coverage.js";
import { appendInput, graftInput, graftLogHistogram, graftRfc3550, graftRuns, graftSpace } from "./seam-graft.js";
import { SequenceSpace, type SequenceSpaceOptions } from "./sequence-space.js";
import { Rfc3550SequenceCounter } from "./rfc3550-sequence.js";

const options: SequenceSpaceOptions = {
  windowSize: 64,
  maxGap: 32,
  pauseThresholdUs: 1_000_000,
  pauseMinimumSkipped: 8,
  maxDuplicateDelayUs: 1_000_000,
  playoutDelayUs: 100_000,
  patternLength: 8,
  runLengthLimit: 16,
  maxResetCandidates: 20,
};

function space(sequences: number[], startUs = 0): SequenceSpace {
  const result = new SequenceSpace(options);
  sequences.forEach((sequence, index) => result.observe(sequence, startUs + index * 1000, index, undefined, 0));
  return result;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);

describe("seam graft", () => {
  it("flags windows that disagree at the checkpoint and still adds the counts", () => {
    const a = space(range(0, 200).filter((sequence) => sequence % 7 !== 0)).saveState();
    const h = space(range(100, 300)).saveState();
    const b = space([...range(100, 300), ...range(301, 400)]).saveState();
    const grafted = graftSpace(a, h, b, 20);
    expect(grafted.exact).toBe(false);
    expect(grafted.state.received).toBe(a.received + b.received - h.received);
    expect(grafted.state.lost).toBe(a.lost + b.lost - h.lost);
  });

  it("agrees when the earlier pass continued by the head equals the later pass's checkpoint", () => {
    const head = range(200, 400);
    const a = space([...range(0, 200), ...head]);
    const h = space(head, 200_000);
    // Same events after the checkpoint; the receive run in progress there is longer in the earlier pass.
    const later = [...range(400, 500), ...range(503, 600)];
    h.mark();
    const b = space(head, 200_000);
    b.mark();
    later.forEach((sequence, index) => b.observe(sequence, 400_000 + index * 1000, 400 + index, undefined, 0));
    const aState = a.saveState();
    const hState = h.saveState();
    expect(aState.window.flags).toBe(hState.window.flags);
    const grafted = graftSpace(aState, hState, b.saveState(), 20);
    expect(grafted.exact).toBe(true);
    expect(grafted.state.received).toBe(400 + later.length);
    const reference = space([...range(0, 200), ...head]);
    later.forEach((sequence, index) => reference.observe(sequence, 400_000 + index * 1000, 400 + index, undefined, 0));
    const merged = SequenceSpace.fromState(options, grafted.state, 0);
    merged.finish();
    reference.finish();
    expect({ lost: merged.lost, expected: merged.expected, runs: merged.lossRuns.summary(), receive: merged.receiveRuns.summary() }).toEqual({
      lost: reference.lost,
      expected: reference.expected,
      runs: reference.lossRuns.summary(),
      receive: reference.receiveRuns.summary(),
    });
  });

  it("lengthens a run that crosses the checkpoint, counted or still open", () => {
    const runs = { lossRuns: { exactLimit: 16, count: 0, totalLength: 0, maxLength: 0, overflowCount: 0, overflowLength: 0, counts: [] as [number, number][] } };
    const merged = graftRuns(
      { ...runs.lossRuns, count: 1, totalLength: 20, maxLength: 20, overflowCount: 1, overflowLength: 20 },
      { ...runs.lossRuns, count: 1, totalLength: 3, maxLength: 3, counts: [[3, 1]] },
      { ...runs.lossRuns, count: 3, totalLength: 9, maxLength: 4, counts: [[3, 2], [3, 0], [4, 1]] as [number, number][] },
    );
    expect(merged.count).toBe(3);
    expect(merged.totalLength).toBe(26);
    expect(merged.maxLength).toBe(20);
  });

  it("adds histograms and keeps the earlier maximum unless the later pass grew past its head", () => {
    const a = { count: 2, sum: 10, max: 8, buckets: [[3, 2]] as [number, number][] };
    const h = { count: 1, sum: 5, max: 5, buckets: [[2, 1]] as [number, number][] };
    expect(graftLogHistogram(a, h, { count: 3, sum: 20, max: 9, buckets: [[2, 1], [4, 2]] })).toEqual({ count: 4, sum: 25, max: 9, buckets: [[3, 2], [4, 2]] });
    expect(graftLogHistogram(a, h, { count: 2, sum: 8, max: 5, buckets: [[2, 2]] }).max).toBe(8);
  });

  it("grafts RFC 3550 counts and input trackers, and flags what it cannot reconcile", () => {
    const counter = (sequences: number[]): Rfc3550SequenceCounter => {
      const result = new Rfc3550SequenceCounter(16);
      for (const sequence of sequences) result.update(sequence);
      return result;
    };
    const rfc = graftRfc3550(counter(range(0, 300)).saveState(), counter(range(200, 300)).saveState(), counter(range(200, 400)).saveState());
    expect(rfc.exact).toBe(true);
    expect(Rfc3550SequenceCounter.fromState(rfc.state).expected).toBe(400);
    expect(graftRfc3550(counter(range(0, 10)).saveState(), counter(range(5, 20)).saveState(), counter(range(5, 30)).saveState()).exact).toBe(false);

    const inputs = (sequences: number[]): InputCoverage => {
      const result = new InputCoverage(64);
      for (const sequence of sequences) result.observe(sequence, 1, 10);
      return result;
    };
    const a = inputs(range(0, 100)).saveState();
    expect(graftInput(a, null, null)).toEqual({ state: a, exact: true });
    expect(graftInput(null, null, a)).toEqual({ state: a, exact: true });
    expect(graftInput(a, a, null).exact).toBe(false);
    const appended = graftInput(a, null, inputs(range(100, 150)).saveState());
    expect(appended.exact).toBe(false);
    expect(appended.state!.messages).toBe(150);
    const gap = appendInput(inputs([0, 1, 3]).saveState(), inputs([10, 11]).saveState());
    const coverage = InputCoverage.fromState(gap);
    coverage.finish();
    expect(coverage.lost).toBe(1);
    expect(coverage.resets).toBe(1);
  });
});
