import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseProtocolDefinition } from "@tickscope/core/protocol";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import { planSessionShards } from "./analysis-sharding.js";
import { ExitCode } from "./exit-code.js";
import { runAnalyze } from "./run-analyze.js";
import { mergeableAnalyses } from "./test-support/mergeable-analyses.js";
import { runInMemory } from "./test-support/run.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-session-threads-"));
const capturePath = join(directory, "match.pcapng");
const farCapturePath = join(directory, "far.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const MERGEABLE = mergeableAnalyses(parseProtocolDefinition(readFileSync(arenaPath, "utf8")));

beforeAll(() => {
  const match = simulateMatchToMemory({
    seed: 21,
    players: 7,
    durationMs: 12_000,
    tickRate: 30,
    profile: "cable",
    cheats: [{ playerId: 3, kind: "speedhack" }],
    networkEvents: [
      { kind: "latencySpike", startMs: 4_000, durationMs: 1_500, extraDelayMs: 180, playerIds: [1, 4] },
      { kind: "lossBurst", startMs: 7_000, durationMs: 1_000, playerIds: [2] },
    ],
  });
  writeFileSync(capturePath, match.pcapng);
  writeFileSync(farCapturePath, simulateMatchToMemory({ seed: 22, players: 4, durationMs: 12_000, tickRate: 30, profile: "intercontinental" }).pcapng);
});

/** Every file a run wrote into `out`, by name. */
function writtenFiles(out: string): Record<string, string> {
  return Object.fromEntries(readdirSync(out).sort().map((name) => [name, readFileSync(join(out, name), "utf8")]));
}

describe(`analyze --thread-cut sessions (issue 16; mergeable now: ${MERGEABLE.join(",") || "none"})`, () => {
  it.runIf(MERGEABLE.length > 0).each([
    ["one capture", () => [capturePath]],
    ["captures of two regions", () => ["--region", `eu-west=${capturePath}`, "--region", `ap-south=${farCapturePath}`]],
  ])("%s: JSON, markdown and CSV of 2 and 3 session shards are the bytes of one thread", async (name, inputs) => {
    const reports: Record<string, string>[] = [];
    for (const threads of [1, 2, 3]) {
      const out = join(directory, `${name.replaceAll(" ", "-")}-${threads}`);
      const run = await runInMemory([
        "analyze", ...inputs(), "--protocol", arenaPath, "--only", MERGEABLE.join(","), "--format", "json,md,csv", "--out", out,
        "--threads", String(threads), "--thread-cut", "sessions", "--verbose",
      ]);
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      if (threads === 1) expect(run.stderr).toMatch(/^analyze: 1 thread$/m);
      else expect(run.stderr).toContain(`analyze: ${threads} threads: sessions split ${threads} ways (${MERGEABLE.join(",")} in each)`);
      reports.push(writtenFiles(out));
    }
    expect(Object.keys(reports[0]!)).toEqual(expect.arrayContaining(["report.json", "report.md", "findings.csv", "sessions.csv"]));
    const document = JSON.parse(reports[0]!["report.json"]!);
    expect(document.report.sessions.length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(document.report.analyses).sort()).toEqual([...MERGEABLE].sort());
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });

  it.runIf(MERGEABLE.length > 0)("more shards than sessions still gives the one-thread report (empty shards merge as nothing)", async () => {
    const options = { inputs: [{ path: farCapturePath }], protocolPath: arenaPath, analyses: MERGEABLE, generatedAt: "fixed" };
    const threads: string[] = [];
    const sharded = await runAnalyze({ ...options, threads: 6, threadCut: "sessions", onThreads: (line) => threads.push(line) });
    expect(threads).toEqual([`6 threads: sessions split 6 ways (${MERGEABLE.join(",")} in each)`]);
    expect(JSON.stringify(sharded)).toBe(JSON.stringify(await runAnalyze({ ...options, threads: 1 })));
  });

  it("falls back to the analysis cut with a server log, or with an analysis that cannot save its state", async () => {
    const threads: string[] = [];
    const match = simulateMatchToMemory({ seed: 5, players: 2, durationMs: 2_000, tickRate: 20 });
    const logPath = join(directory, "log.ndjson");
    writeFileSync(logPath, match.serverLog);
    await runAnalyze({ inputs: [{ path: capturePath }], protocolPath: arenaPath, analyses: ["loss", "anticheat"], threads: 2, threadCut: "sessions", serverLog: { path: logPath }, logEvents: [], onThreads: (line) => threads.push(line) });
    expect(threads[0]).toMatch(/^2 threads: (loss \| anticheat|anticheat \| loss)$/);
    const unmergeable = ANALYSIS_NAMES.filter((name) => !MERGEABLE.includes(name));
    if (unmergeable.length > 0) {
      await runAnalyze({ inputs: [{ path: capturePath }], protocolPath: arenaPath, analyses: [unmergeable[0]!, "anticheat"], threads: 2, threadCut: "sessions", onThreads: (line) => threads.push(line) });
      expect(threads[1]).toMatch(/^2 threads: \w+ \| \w+$/);
    }
  });

  it("--thread-cut takes analyses or sessions", async () => {
    const run = await runInMemory(["analyze", capturePath, "--thread-cut", "rows"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/^tickscope: E_USAGE: .*--thread-cut.*expected analyses or sessions/);
  });

  it("planSessionShards: exact count when told, one thread for a small capture, both cores for a large one", () => {
    expect(planSessionShards(["latency", "loss"], { maxThreads: 3, captureBytes: 1000, exact: true })).toBe(3);
    expect(planSessionShards([...ANALYSIS_NAMES], { maxThreads: 2, captureBytes: 2_000_000 })).toBe(1);
    expect(planSessionShards([...ANALYSIS_NAMES], { maxThreads: 2, captureBytes: 223_000_000 })).toBe(2);
  });
});
