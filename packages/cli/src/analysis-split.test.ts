import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { ANALYSIS_NAMES, type AnalysisName } from "./analysis-section.js";
import { planAnalysisShards, type AnalysisShardPlan } from "./analysis-sharding.js";
import { MINIMUM_SPLIT_GAIN_SECONDS, MINIMUM_SPLIT_SHARE, planAnalysisSplit, sessionGoesToMain, SPLIT_MERGE_SECONDS } from "./analysis-split.js";
import { runAnalyze } from "./run-analyze.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-analysis-split-"));
const capturePath = join(directory, "match.pcapng");
const farCapturePath = join(directory, "far.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const GIGABYTE = 1e9;

beforeAll(() => {
  const match = simulateMatchToMemory({
    seed: 31,
    players: 9,
    durationMs: 10_000,
    tickRate: 30,
    profile: "cable",
    cheats: [{ playerId: 3, kind: "speedhack" }, { playerId: 6, kind: "fakeLatency" }],
    networkEvents: [
      { kind: "latencySpike", startMs: 3_000, durationMs: 1_500, extraDelayMs: 180, playerIds: [1, 4] },
      { kind: "lossBurst", startMs: 6_000, durationMs: 1_000, playerIds: [2, 7] },
    ],
  });
  writeFileSync(capturePath, match.pcapng);
  writeFileSync(farCapturePath, simulateMatchToMemory({ seed: 32, players: 3, durationMs: 8_000, tickRate: 30, profile: "intercontinental" }).pcapng);
});

describe("sessionGoesToMain deals sessions evenly by their order", () => {
  it.each([0.05, 0.3, 0.5, 2 / 3, 0.95])("share %f: the main thread takes that share of any prefix (±1), every session goes to exactly one side", (share) => {
    let main = 0;
    for (let ordinal = 0; ordinal < 1000; ordinal++) {
      if (sessionGoesToMain(ordinal, share)) main += 1;
      expect(Math.abs(main - (ordinal + 1) * share)).toBeLessThanOrEqual(1);
    }
  });

  it("alternates at one half and gives every third session at one third", () => {
    expect(Array.from({ length: 6 }, (_, ordinal) => sessionGoesToMain(ordinal, 0.5))).toEqual([false, true, false, true, false, true]);
    expect(Array.from({ length: 6 }, (_, ordinal) => sessionGoesToMain(ordinal, 1 / 3))).toEqual([false, false, true, false, false, true]);
  });
});

describe("planAnalysisSplit", () => {
  const options = { maxThreads: 2, captureBytes: 0.223 * GIGABYTE, exact: true };

  /** A two-shard plan with the given estimates. */
  function plan(main: [AnalysisName[], number], worker: [AnalysisName[], number]): AnalysisShardPlan {
    return { shards: [{ analyses: main[0], estimatedSeconds: main[1] }, { analyses: worker[0], estimatedSeconds: worker[1] }], estimatedSeconds: Math.max(main[1], worker[1]) };
  }

  it("splits an analysis of the longer thread so that both estimates meet", () => {
    const uneven = plan([["bandwidth", "loss", "regions"], 7], [["latency", "anticheat"], 5]);
    const split = planAnalysisSplit(uneven, ["loss", "regions", "latency", "anticheat"], options)!;
    expect(split.analysis).toMatch(/^(loss|regions)$/);
    expect(split.mainShare).toBeGreaterThan(MINIMUM_SPLIT_SHARE);
    expect(split.mainShare).toBeLessThan(1 - MINIMUM_SPLIT_SHARE);
    // the worker's longer shard: its analysis moves partly to the main thread (which finishes it)
    const other = planAnalysisSplit(plan([["bandwidth", "regions"], 4], [["latency", "anticheat", "loss"], 7]), ["latency", "anticheat", "loss", "regions"], options)!;
    expect(["latency", "anticheat", "loss"]).toContain(other.analysis);
    expect(other.mainShare).toBeGreaterThan(0.2);
  });

  it("splits nothing when the threads are even, when nothing in the longer shard may split, or without exactly two shards", () => {
    expect(planAnalysisSplit(plan([["bandwidth", "loss"], 5], [["latency", "anticheat"], 5 + MINIMUM_SPLIT_GAIN_SECONDS]), ["loss", "latency", "anticheat"], options)).toBeUndefined();
    expect(planAnalysisSplit(plan([["bandwidth"], 7], [["latency"], 4]), ["latency"], options)).toBeUndefined();
    expect(planAnalysisSplit(planAnalysisShards(ANALYSIS_NAMES, { ...options, maxThreads: 3 }), [...ANALYSIS_NAMES], options)).toBeUndefined();
    expect(planAnalysisSplit(planAnalysisShards(ANALYSIS_NAMES, { ...options, maxThreads: 1 }), [...ANALYSIS_NAMES], options)).toBeUndefined();
  });

  it("charges the merge to the main thread: a gap no larger than it is left alone", () => {
    expect(planAnalysisSplit(plan([["loss"], 3], [["latency"], 3 + SPLIT_MERGE_SECONDS]), ["loss", "latency"], options)).toBeUndefined();
  });
});

describe("analyze with one analysis split by sessions between two threads (issue 16)", () => {
  it.each([
    ["loss", 0.3],
    ["latency", 0.5],
    ["anticheat", 0.7],
    ["regions", 0.4],
  ] as const)("%s split %f: the report is the one-thread report, byte for byte", async (analysis, mainShare) => {
    const options = { inputs: [{ path: capturePath, region: "eu-west" }, { path: farCapturePath, region: "ap-south" }], protocolPath: arenaPath, analyses: ANALYSIS_NAMES, generatedAt: "fixed" };
    const threads: string[] = [];
    const split = await runAnalyze({ ...options, threads: 2, analysisSplit: { analysis, mainShare }, onThreads: (line) => threads.push(line) });
    expect(threads).toHaveLength(1);
    expect(threads[0]).toContain(`${analysis}(${Math.round(100 * mainShare)}% of sessions)`);
    expect(threads[0]).toContain(`${analysis}(${Math.round(100 * (1 - mainShare))}% of sessions)`);
    const single = await runAnalyze({ ...options, threads: 1 });
    expect(single.sessions.length).toBeGreaterThanOrEqual(12);
    expect(JSON.stringify(split)).toBe(JSON.stringify(single));
  });

  it("splits an analysis of either thread's own shard: the main thread's and the worker's (latency | loss)", async () => {
    const options = { inputs: [{ path: capturePath }], protocolPath: arenaPath, analyses: ["latency", "loss"] as AnalysisName[], generatedAt: "fixed" };
    const single = JSON.stringify(await runAnalyze({ ...options, threads: 1 }));
    const homes: string[] = [];
    for (const analysis of ["latency", "loss"] as const) {
      const lines: string[] = [];
      const split = await runAnalyze({ ...options, threads: 2, analysisSplit: { analysis, mainShare: 0.4 }, onThreads: (line) => lines.push(line) });
      // the thread whose shard held the analysis before the split lists it alone (the other adds it to its own)
      homes.push(/^2 threads: ([^|]*) \| /.exec(lines[0]!)![1]!.split(",").length === 1 ? "main" : "worker");
      expect(JSON.stringify(split)).toBe(single);
    }
    expect(homes.sort()).toEqual(["main", "worker"]);
  });

  it("never splits bandwidth, nor with a server log, nor when told not to", async () => {
    const options = { inputs: [{ path: farCapturePath }], protocolPath: arenaPath, analyses: ANALYSIS_NAMES, generatedAt: "fixed", threads: 2 };
    const lines: string[] = [];
    await runAnalyze({ ...options, analysisSplit: { analysis: "bandwidth", mainShare: 0.5 }, onThreads: (line) => lines.push(line) });
    await runAnalyze({ ...options, analysisSplit: false, onThreads: (line) => lines.push(line) });
    const match = simulateMatchToMemory({ seed: 5, players: 2, durationMs: 2_000, tickRate: 20 });
    const logPath = join(directory, "log.ndjson");
    writeFileSync(logPath, match.serverLog);
    await runAnalyze({ ...options, serverLog: { path: logPath }, logEvents: [], analysisSplit: { analysis: "loss", mainShare: 0.5 }, onThreads: (line) => lines.push(line) });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain("% of sessions");
  });
});
