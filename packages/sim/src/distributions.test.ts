import { describe, expect, it } from "vitest";
import { jitterMeanMs, jitterQuantileMs, sampleJitterMs, standardNormalQuantile, JITTER_DISTRIBUTIONS } from "./distributions.js";
import { DelayModel } from "./network-path.js";
import { PROFILE_NAMES, PROFILES, propagationDelayMs } from "./profiles.js";
import { createRandom } from "./random.js";

function quantile(sorted: Float64Array, probability: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(probability * sorted.length))];
}

describe("jitter distributions", () => {
  it("inverts the standard normal CDF", () => {
    expect(standardNormalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(standardNormalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(standardNormalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(standardNormalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(standardNormalQuantile(0)).toBe(-Infinity);
    expect(standardNormalQuantile(1)).toBe(Infinity);
  });

  it.each(JITTER_DISTRIBUTIONS)("%s samples match the analytic mean and quantiles", (distribution) => {
    const random = createRandom(3);
    const n = 200_000;
    const samples = new Float64Array(n);
    let sum = 0;
    for (let index = 0; index < n; index++) {
      samples[index] = sampleJitterMs(random, distribution, 5);
      sum += samples[index];
    }
    samples.sort();
    expect(Math.abs(sum / n - jitterMeanMs(distribution, 5))).toBeLessThan(0.05 * 5);
    for (const probability of [0.5, 0.95, 0.99]) {
      const expected = jitterQuantileMs(distribution, 5, probability);
      expect(Math.abs(quantile(samples, probability) - expected)).toBeLessThan(0.04 * Math.abs(expected) + 0.05);
    }
  });

  it("returns zero jitter for a zero scale", () => {
    const random = createRandom(1);
    expect(sampleJitterMs(random, "pareto", 0)).toBe(0);
    expect(jitterMeanMs("exponential", 0)).toBe(0);
    expect(jitterQuantileMs("normal", 0, 0.9)).toBe(0);
  });
});

describe("delay model per profile", () => {
  it.each(PROFILE_NAMES)("profile %s: delay mean and percentiles match the profile", (name) => {
    const profile = PROFILES[name];
    const fixedMs = propagationDelayMs(profile.typicalPathKm, profile.routeStretch);
    const model = new DelayModel({ fixedMs, accessDelayMs: profile.accessDelayMs, jitterMs: profile.jitterMs, distribution: profile.jitterDistribution }, createRandom(77));
    const n = 200_000;
    const samples = new Float64Array(n);
    let sum = 0;
    for (let index = 0; index < n; index++) {
      samples[index] = model.sampleMs();
      sum += samples[index];
    }
    samples.sort();
    const base = fixedMs + profile.accessDelayMs;
    const expectedMean = base + jitterMeanMs(profile.jitterDistribution, profile.jitterMs);
    expect(Math.abs(sum / n - expectedMean) / expectedMean).toBeLessThan(0.02);
    for (const probability of [0.5, 0.9, 0.99]) {
      const expected = base + jitterQuantileMs(profile.jitterDistribution, profile.jitterMs, probability);
      expect(Math.abs(quantile(samples, probability) - expected) / expected).toBeLessThan(0.03);
    }
    expect(samples[0]).toBeGreaterThanOrEqual(fixedMs);
  });
});
