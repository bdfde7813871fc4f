import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { runInMemory } from "../test-support/run.js";
import { ExitCode } from "../exit-code.js";
import type { HtmlViewModel } from "./html-view-model.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-html-pipeline-"));
const capturePath = join(directory, "match.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");

function embeddedModel(html: string): HtmlViewModel {
  return JSON.parse(/<script type="application\/json" id="tickscope-data">(.*?)<\/script>/s.exec(html)![1]!) as HtmlViewModel;
}

beforeAll(() => {
  const match = simulateMatchToMemory({
    seed: 5,
    players: 3,
    durationMs: 12_000,
    tickRate: 30,
    profile: "cable",
    networkEvents: [
      { kind: "latencySpike", startMs: 5_000, durationMs: 1_500, extraDelayMs: 250, playerIds: [1, 2, 3] },
      { kind: "lossBurst", startMs: 8_000, durationMs: 600, lossProbability: 0.8, playerIds: [2] },
    ],
  });
  writeFileSync(capturePath, match.pcapng);
});

describe("analyze --format html on a simulated capture", () => {
  it("carries every view's data from the analyses and is byte-identical across runs", async () => {
    const outputs: string[] = [];
    for (const run of [1, 2]) {
      const out = join(directory, `reports-${run}`);
      const result = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "html", "--out", out]);
      expect(result.code, result.stderr).toBe(ExitCode.ok);
      outputs.push(readFileSync(join(out, "report.html"), "utf8"));
    }
    expect(outputs[1]).toBe(outputs[0]);
    const model = embeddedModel(outputs[0]!);
    expect(model.sessions).toHaveLength(3);
    expect(model.heatmap!.sessionIndices).toEqual([0, 1, 2]);
    expect(model.heatmap!.columns).toBeGreaterThanOrEqual(11);
    // the injected spike from 5 s (+250 ms) is on the timelines
    const peaks = model.sessions.map((session) => Math.max(...session.maxMs.map((value) => value ?? 0)));
    expect(Math.max(...peaks)).toBeGreaterThan(250);
    expect(model.sessions.flatMap((session) => session.spikes).length).toBeGreaterThan(0);
    // bandwidth per message type over time (bandwidth's byMessageTypeTimeline) and loss gaps (loss's arrivalGaps)
    expect(model.bandwidth!.types.map((type) => type.name)).toContain("snapshot ↓");
    expect(model.bandwidth!.tUs.length).toBeGreaterThanOrEqual(11);
    expect(model.sessions.some((session) => session.lossMarks.some((mark) => mark.tUs >= model.originUs + 7.9e6 && mark.tUs <= model.originUs + 9e6))).toBe(true);
    expect(model.lossStreams.length).toBeGreaterThan(0);
    // the timeline names the series it follows (the latency report's timeSeries), e.g. "ack server→client"
    for (const session of model.sessions) expect(session.timelineMethod).toMatch(/^(ack|echo|reported)( (client|server)→(client|server))?$/);
  }, 60_000);
});
