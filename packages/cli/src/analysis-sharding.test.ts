import { describe, expect, it } from "vitest";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import {
  estimateAnalysisSeconds,
  MINIMUM_GAIN_SECONDS,
  PASS_SECONDS_PER_GIGABYTE,
  planAnalysisShards,
  planSessionShards,
  UNLABELLED_REGIONS_COST,
  WORKER_START_SECONDS,
} from "./analysis-sharding.js";

const GIGABYTE = 1e9;

describe("planAnalysisShards", () => {
  it("puts every analysis in exactly one shard, in report order within each shard", () => {
    for (const threads of [1, 2, 3, 4, 5]) {
      const plan = planAnalysisShards(ANALYSIS_NAMES, { maxThreads: threads, captureBytes: 0.2 * GIGABYTE, exact: true });
      expect(plan.shards).toHaveLength(threads);
      expect(plan.shards.flatMap((shard) => shard.analyses).sort()).toEqual([...ANALYSIS_NAMES].sort());
      for (const shard of plan.shards) {
        expect(shard.analyses.length).toBeGreaterThan(0);
        expect(shard.analyses).toEqual(ANALYSIS_NAMES.filter((name) => shard.analyses.includes(name)));
      }
    }
  });

  it("never uses more threads than analyses, nor fewer than one", () => {
    expect(planAnalysisShards(["loss", "latency"], { maxThreads: 8, captureBytes: GIGABYTE, exact: true }).shards).toHaveLength(2);
    expect(planAnalysisShards(["loss"], { maxThreads: 0, captureBytes: GIGABYTE, exact: true }).shards).toEqual([{ analyses: ["loss"], estimatedSeconds: expect.any(Number) }]);
  });

  it("balances by measured cost: two threads on 1 GB take ~half the analysis work each, the main thread the shard with bandwidth's finish", () => {
    const plan = planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: GIGABYTE, exact: true });
    const total = ANALYSIS_NAMES.reduce((sum, name) => sum + estimateAnalysisSeconds(name, 1, true), 0);
    const [main, worker] = plan.shards.map((shard) => shard.estimatedSeconds - PASS_SECONDS_PER_GIGABYTE);
    // the longest fixed tail (bandwidth's re-encoding trials, after the pass) stays on the main thread
    expect(plan.shards[0]!.analyses).toContain("bandwidth");
    // longest-processing-time-first is within 4/3 of the best split; here much closer
    expect(Math.max(main!, worker!) / (total / 2)).toBeLessThan(1.2);
    expect(plan.estimatedSeconds).toBeCloseTo(PASS_SECONDS_PER_GIGABYTE + Math.max(main!, worker!) + WORKER_START_SECONDS, 6);
  });

  it("automatic: one thread for a small capture, two for a large one", () => {
    expect(planAnalysisShards(["latency", "loss", "regions"], { maxThreads: 2, captureBytes: 5e6, withDefinition: false }).shards).toHaveLength(1);
    expect(planAnalysisShards(["anticheat", "loss"], { maxThreads: 2, captureBytes: 5e6 }).shards).toHaveLength(1);
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 0.2 * GIGABYTE }).shards).toHaveLength(2);
    // bandwidth's re-encoding trials cost seconds from a few tens of MB on, but only with a definition
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 67e6, withDefinition: true }).shards).toHaveLength(2);
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 30e6, withDefinition: true }).shards).toHaveLength(2);
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 5e6, withDefinition: false }).shards).toHaveLength(1);
    // below ~22 MB bandwidth re-encodes every message: its trials shrink with the capture (firefall_1869, 5.2 MB with
    // its definition, measured slower on two threads: one; a 1 MB capture: one)
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 5_232_988, withDefinition: true }).shards).toHaveLength(1);
    expect(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 1e6, withDefinition: true }).shards).toHaveLength(1);
    // more threads than pay for themselves (start + minimum gain) are not started
    const plan = planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 64, captureBytes: 0.1 * GIGABYTE });
    expect(plan.shards.length).toBeLessThan(ANALYSIS_NAMES.length + 1);
    for (const count of [1, 2, 3, 4, 5]) {
      expect(plan.estimatedSeconds).toBeLessThanOrEqual(planAnalysisShards(ANALYSIS_NAMES, { maxThreads: count, captureBytes: 0.1 * GIGABYTE, exact: true }).estimatedSeconds + MINIMUM_GAIN_SECONDS);
    }
  });

  it("regions without any region label costs what counting the sessions costs: the balance follows", () => {
    expect(estimateAnalysisSeconds("regions", 0.223, true, false)).toBeCloseTo(UNLABELLED_REGIONS_COST.fixedSeconds + UNLABELLED_REGIONS_COST.secondsPerGigabyte * 0.223, 9);
    expect(estimateAnalysisSeconds("regions", 0.223, true, false)).toBeLessThan(estimateAnalysisSeconds("regions", 0.223, true) / 10);
    // the 223 MB arena capture without labels: bandwidth and regions no longer weigh as one heavy pair
    const labelled = planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 0.223 * GIGABYTE, exact: true });
    const unlabelled = planAnalysisShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 0.223 * GIGABYTE, exact: true, regionsLabelled: false });
    expect(unlabelled.estimatedSeconds).toBeLessThan(labelled.estimatedSeconds);
    // a session cut estimate also drops the unmeasured regions work (one thread for a small capture either way)
    expect(planSessionShards(ANALYSIS_NAMES, { maxThreads: 2, captureBytes: 5e6, regionsLabelled: false })).toBe(1);
  });

  it("handles no analysis at all", () => {
    expect(planAnalysisShards([], { maxThreads: 4, captureBytes: GIGABYTE }).shards).toEqual([{ analyses: [], estimatedSeconds: PASS_SECONDS_PER_GIGABYTE }]);
  });
});
