import type { SerialNumber } from "@tickscope/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./random.js";
import { SequenceWindow } from "./session-tracker.js";

/** A received stream: sequences with Gilbert–Elliott loss, local reordering and duplicates (seeded). */
function stream(seed: number, length: number, bits: number | undefined, start = 0): number[] {
  const random = createSeededRandom(`window:${seed}`);
  const modulus = bits === undefined ? Number.MAX_SAFE_INTEGER : 2 ** bits;
  const out: number[] = [];
  let bad = false;
  for (let sequence = start; sequence < start + length; sequence++) {
    bad = bad ? random.next() < 0.7 : random.next() < 0.03;
    if (bad) continue;
    out.push(sequence % modulus);
    if (random.next() < 0.02) out.push(sequence % modulus); // duplicate
  }
  // reorder: swap neighbours within a few places
  for (let index = 0; index + 3 < out.length; index++) if (random.next() < 0.05) [out[index], out[index + 3]] = [out[index + 3]!, out[index]!];
  return out;
}

function counts(window: SequenceWindow): number[] {
  const copy = window.clone();
  copy.flush();
  return [copy.receivedCount, copy.lostCount, copy.duplicateOrLateCount, copy.burstCount, copy.maxBurstLength, copy.restartCount];
}

function single(sequences: readonly SerialNumber[], size: number, bits: number | undefined): SequenceWindow {
  const window = new SequenceWindow(size, bits);
  for (const sequence of sequences) window.add(sequence);
  return window;
}

/** Feeds `sequences` cut at `cuts` into separate windows, saves each, and joins them in order. */
function joined(sequences: readonly SerialNumber[], cuts: readonly number[], size: number, bits: number | undefined): { window: SequenceWindow; exact: boolean } {
  const bounds = [0, ...cuts, sequences.length];
  let result: SequenceWindow | undefined;
  let exact = true;
  for (let part = 0; part + 1 < bounds.length; part++) {
    const piece = single(sequences.slice(bounds[part], bounds[part + 1]), size, bits);
    const saved = SequenceWindow.fromState(JSON.parse(JSON.stringify(piece.saveState())));
    if (result === undefined) result = saved;
    else exact = result.join(saved) && exact;
  }
  return { window: result!, exact };
}

describe("SequenceWindow.join (a rotation cut a sequence space)", () => {
  it("counts loss, bursts, duplicates and late arrivals exactly as one window, cut anywhere (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(8, 16, 64),
        fc.constantFrom(undefined, 8, 16),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }),
        (seed, size, bits, cutShares) => {
          const sequences = stream(seed, 3000, bits);
          const cuts = [...new Set(cutShares.map((share) => Math.floor(share * sequences.length)))].sort((left, right) => left - right);
          const expected = counts(single(sequences, size, bits));
          const { window, exact } = joined(sequences, cuts, size, bits);
          expect(exact).toBe(true);
          expect(counts(window)).toEqual(expected);
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  it("joins a later pass shorter than its prefix (the whole pass replayed) and a chain of three", () => {
    const sequences = stream(7, 2000, 16);
    const expected = counts(single(sequences, 64, 16));
    expect(counts(joined(sequences, [1000, 1050], 64, 16).window)).toEqual(expected);
    expect(counts(joined(sequences, [10, 20, 1990], 64, 16).window)).toEqual(expected);
  });

  it("joins 64-bit sequences from 2^63 (bigints in the state as decimal strings)", () => {
    const sequences: SerialNumber[] = stream(3, 1500, undefined).map((value) => 2n ** 63n + BigInt(value));
    const state = single(sequences.slice(0, 10), 16, 64).saveState();
    expect(typeof state.highestRaw).toBe("string");
    expect(counts(joined(sequences, [700], 16, 64).window)).toEqual(counts(single(sequences, 16, 64)));
  });

  it("keeps the prefix of a short pass through a join, so a joined state joins exactly again", () => {
    const sequences = stream(5, 2000, undefined);
    const middle = single(sequences.slice(500, 510), 16, undefined);
    middle.join(single(sequences.slice(510), 16, undefined));
    expect(middle.saveState().prefix).toHaveLength(16 + 64);
    const first = single(sequences.slice(0, 500), 16, undefined);
    expect(first.join(SequenceWindow.fromState(middle.saveState()))).toBe(true);
    expect(counts(first)).toEqual(counts(single(sequences, 16, undefined)));
  });

  it("says when it cannot be exact (a later state without a prefix) and still adds the later counts", () => {
    const sequences = stream(11, 3000, undefined);
    const first = single(sequences.slice(0, 1000), 16, undefined);
    const middle = SequenceWindow.fromState({ ...single(sequences.slice(1000), 16, undefined).saveState(), prefix: null, mark: null });
    expect(first.join(middle)).toBe(false);
    expect(first.saveState().prefix).not.toBeNull(); // the earlier window's own start is still known
    const [received, lost] = counts(first);
    const [expectedReceived, expectedLost] = counts(single(sequences, 16, undefined));
    expect(Math.abs(received! - expectedReceived!)).toBeLessThanOrEqual(16);
    expect(Math.abs(lost! - expectedLost!)).toBeLessThanOrEqual(16);
  });
});
