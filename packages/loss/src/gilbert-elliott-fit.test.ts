import { describe, expect, it } from "vitest";
import {
  LossPatternCounter,
  chiSquarePValue,
  fitGilbertElliott,
  formatNetemGemodel,
  gilbertElliottPatternProbabilities,
  sortSimplexOrder,
  stationaryLoss,
  type GilbertElliottModel,
} from "./gilbert-elliott-fit.js";
import { SeededRandom, simulateResidualInputLoss } from "./replay.js";

function trace(model: GilbertElliottModel, slots: number, seed: number): LossPatternCounter {
  const random = new SeededRandom(seed);
  const counter = new LossPatternCounter();
  let bad = false;
  for (let index = 0; index < slots; index++) {
    if (bad) {
      if (random.next() < model.r) bad = false;
    } else if (random.next() < model.p) {
      bad = true;
    }
    counter.add(random.next() >= (bad ? model.h : model.k));
  }
  return counter;
}

function relativeError(measured: number, truth: number): number {
  return Math.abs(measured - truth) / truth;
}

describe("Gilbert–Elliott fit", () => {
  it("recovers a classic Gilbert process (h = 0, k = 1) within 10%", () => {
    const truth = { p: 0.01, r: 0.3, h: 0, k: 1 };
    const fit = fitGilbertElliott(trace(truth, 400_000, 7))!;
    expect(relativeError(fit.p, truth.p)).toBeLessThan(0.1);
    expect(relativeError(fit.r, truth.r)).toBeLessThan(0.1);
    expect(1 - fit.h).toBeGreaterThan(0.97);
    expect(fit.k).toBeGreaterThan(0.999);
    expect(relativeError(fit.stationaryLossRate, stationaryLoss(truth))).toBeLessThan(0.05);
    expect(fit.goodnessOfFit.totalVariation).toBeLessThan(0.01);
    expect(fit.goodnessOfFit.patternLength).toBe(8);
  });

  it("recovers all four parameters of a Gilbert–Elliott process within 10%", () => {
    const truth = { p: 0.02, r: 0.25, h: 0.2, k: 0.995 };
    const fit = fitGilbertElliott(trace(truth, 600_000, 11))!;
    expect(relativeError(fit.p, truth.p)).toBeLessThan(0.1);
    expect(relativeError(fit.r, truth.r)).toBeLessThan(0.1);
    expect(relativeError(1 - fit.h, 1 - truth.h)).toBeLessThan(0.1);
    expect(relativeError(1 - fit.k, 1 - truth.k)).toBeLessThan(0.1);
  });

  it("scores a wrong model worse than the fitted one", () => {
    const counter = trace({ p: 0.02, r: 0.25, h: 0, k: 1 }, 100_000, 5);
    const fit = fitGilbertElliott(counter)!;
    const bernoulli = fitGilbertElliott(trace({ p: 0.5, r: 0.5, h: 0.93, k: 0.93 }, 100_000, 5))!;
    expect(fit.goodnessOfFit.pValue).toBeGreaterThan(0.01);
    expect(bernoulli.stationaryLossRate).toBeGreaterThan(0.05);
  });

  it("returns undefined without loss or without patterns", () => {
    const clean = new LossPatternCounter(4);
    for (let index = 0; index < 100; index++) clean.add(false);
    expect(fitGilbertElliott(clean)).toBeUndefined();
    expect(fitGilbertElliott(new LossPatternCounter(4))).toBeUndefined();
  });

  it("counts transitions and conditional loss, and breaks patterns at discontinuities", () => {
    const counter = new LossPatternCounter(3);
    for (const lost of [false, true, true, false]) counter.add(lost);
    expect(counter.patternCount).toBe(2);
    counter.breakTrace();
    counter.add(true);
    counter.add(true);
    expect(counter.patternCount).toBe(2);
    // transitions: R→L, L→L, L→R, then after the break L→L.
    expect(counter.conditionalLoss()).toEqual({ afterLoss: 2 / 3, afterReceive: 1 });
    expect(new LossPatternCounter().conditionalLoss().afterLoss).toBeNaN();
  });

  it("gives pattern probabilities that sum to one and match the stationary loss", () => {
    const model = { p: 0.05, r: 0.4, h: 0.1, k: 0.98 };
    const probabilities = gilbertElliottPatternProbabilities(model, 1);
    expect(probabilities[0]! + probabilities[1]!).toBeCloseTo(1, 12);
    expect(probabilities[1]).toBeCloseTo(stationaryLoss(model), 12);
    const six = gilbertElliottPatternProbabilities(model, 6);
    expect(six.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 12);
    expect(stationaryLoss({ p: 0, r: 0, h: 0, k: 1 })).toBe(0);
  });

  it("computes pattern probabilities bit-identically to the depth-first walk over the Markov chain, for every pattern length", () => {
    // Reference: the straightforward recursion (transition first, then emission), as originally written.
    const reference = (model: GilbertElliottModel, length: number): Float64Array => {
      const clamp = (value: number): number => Math.min(1 - 1e-7, Math.max(1e-7, value));
      const p = clamp(model.p);
      const r = clamp(model.r);
      const lossGood = 1 - model.k;
      const lossBad = 1 - model.h;
      const badShare = p / (p + r);
      const result = new Float64Array(1 << length);
      const walk = (depth: number, pattern: number, good: number, bad: number): void => {
        if (depth === length) {
          result[pattern] = good + bad;
          return;
        }
        const nextGood = depth === 0 ? 1 - badShare : good * (1 - p) + bad * r;
        const nextBad = depth === 0 ? badShare : good * p + bad * (1 - r);
        walk(depth + 1, pattern << 1, nextGood * (1 - lossGood), nextBad * (1 - lossBad));
        walk(depth + 1, (pattern << 1) | 1, nextGood * lossGood, nextBad * lossBad);
      };
      walk(0, 0, 1, 0);
      return result;
    };
    const random = new SeededRandom(3);
    const models: GilbertElliottModel[] = [
      { p: 0.01, r: 0.3, h: 0, k: 1 },
      { p: 0, r: 0, h: 0.2, k: 0.995 },
      { p: 1, r: 1, h: 1, k: 0 },
    ];
    for (let index = 0; index < 20; index++) models.push({ p: random.next(), r: random.next(), h: random.next(), k: random.next() });
    for (const model of models) {
      for (let length = 0; length <= 12; length++) {
        expect(gilbertElliottPatternProbabilities(model, length)).toEqual(reference(model, length));
      }
    }
  });

  it("re-simulates residual input loss with exactly the SeededRandom sequence", () => {
    const reference = (model: GilbertElliottModel, redundancy: number, datagrams: number, seed: number | string): number => {
      const random = new SeededRandom(seed);
      let bad = random.next() < model.p / Math.max(model.p + model.r, 1e-12);
      let run = 0;
      let lostInputs = 0;
      for (let index = 0; index < datagrams; index++) {
        if (bad) {
          if (random.next() < model.r) bad = false;
        } else if (random.next() < model.p) {
          bad = true;
        }
        run = random.next() >= (bad ? model.h : model.k) ? run + 1 : 0;
        if (run >= Math.max(1, redundancy)) lostInputs += 1;
      }
      return datagrams === 0 ? 0 : lostInputs / datagrams;
    };
    const model = { p: 0.05, r: 0.3, h: 0.1, k: 0.99 };
    for (const seed of [1, "loss", 0xdeadbeef]) {
      for (const redundancy of [0, 1, 2, 4]) {
        const simulated = simulateResidualInputLoss(model, redundancy, 20_000, seed);
        expect(simulated).toBe(reference(model, redundancy, 20_000, seed));
        if (redundancy <= 1) expect(simulated).toBeGreaterThan(0.01);
      }
    }
    expect(simulateResidualInputLoss(model, 1, 0, 1)).toBe(0);
  });

  it("formats the netem gemodel line in percent (p r 1-h 1-k)", () => {
    expect(formatNetemGemodel({ p: 0.01, r: 0.3, h: 0, k: 1 })).toBe("loss gemodel 1% 30% 100% 0%");
    expect(formatNetemGemodel({ p: 0.012345678, r: 0.25, h: 0.2, k: 0.995 })).toBe("loss gemodel 1.2346% 25% 80% 0.5%");
  });

  it("computes χ² p-values", () => {
    expect(chiSquarePValue(10, 10)).toBeGreaterThan(0.4);
    expect(chiSquarePValue(10, 10)).toBeLessThan(0.5);
    expect(chiSquarePValue(100, 10)).toBeLessThan(1e-6);
  });
});

describe("simplex order", () => {
  it("sorts exactly as Array.prototype.sort with the value comparator (stable on ties), finite or not", () => {
    const random = new SeededRandom(7);
    const pool = [0, -0, 1, 1, 2.5, -3, 1e300, -1e300, 5e-324];
    for (let trial = 0; trial < 2000; trial++) {
      const size = 1 + (trial % 6);
      const values = Float64Array.from({ length: size }, () => pool[Math.floor(random.next() * pool.length)]!);
      if (trial % 5 === 0) values[Math.floor(random.next() * size)] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][trial % 3]!;
      const start = Array.from({ length: size }, (_, index) => index).sort(() => random.next() - 0.5);
      const byValue = (a: number, b: number): number => values[a]! - values[b]!;
      const expected = [...start].sort(byValue);
      const order = [...start];
      sortSimplexOrder(order, values, byValue);
      expect(order).toEqual(expected);
    }
  });

  it("fits a one-slot pattern counter too (the general probability walk)", () => {
    const counter = new LossPatternCounter(1);
    for (let index = 0; index < 500; index++) counter.add(index % 10 === 0);
    const fit = fitGilbertElliott(counter, { iterations: 50 });
    expect(fit).toBeDefined();
    expect(fit!.stationaryLossRate).toBeCloseTo(0.1, 2);
  });
});

describe("loss pattern counter", () => {
  it("counts exactly as the slot-by-slot definition, quiet stretches included, whenever it is read", () => {
    const random = new SeededRandom(11);
    for (const length of [2, 5, 8]) {
      const counter = new LossPatternCounter(length);
      const patterns = new Float64Array(1 << length);
      const transitions = new Float64Array(4);
      let register = 0;
      let filled = 0;
      let previous = -1;
      for (let slot = 0; slot < 20_000; slot++) {
        if (random.next() < 0.001) {
          counter.breakTrace();
          register = 0;
          filled = 0;
          previous = -1;
          continue;
        }
        const lost = random.next() < (slot % 3000 < 1500 ? 0.002 : 0.2);
        counter.add(lost);
        const bit = lost ? 1 : 0;
        if (previous >= 0) transitions[previous * 2 + bit]! += 1;
        previous = bit;
        register = ((register << 1) | bit) & ((1 << length) - 1);
        if (filled < length) filled += 1;
        if (filled === length) patterns[register]! += 1;
        if (slot % 4999 === 0) expect(counter.transitions).toEqual(transitions);
      }
      expect(counter.patterns).toEqual(patterns);
      expect(counter.transitions).toEqual(transitions);
      const saved = counter.saveState();
      expect(saved.register).toBe(register);
      expect(LossPatternCounter.fromState(saved).saveState()).toEqual(saved);
    }
  });
});
