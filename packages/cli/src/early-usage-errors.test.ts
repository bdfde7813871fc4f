import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasErrorCode } from "@tickscope/core";
import { simulateMatchToMemory } from "@tickscope/sim";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";
import { assertAnalysisOptionsApply } from "./analysis-setting-options.js";
import { assertFormatsHaveDestination } from "./report-format-names.js";

describe("an analysis's own option with that analysis left out", () => {
  it("is E_USAGE, naming the option and the analysis that reads it (was silently ignored)", () => {
    expect(() => assertAnalysisOptionsApply(["latency"], { tolerance: ["position=0.01"] })).toThrow(/--tolerance applies to bandwidth/);
    try {
      assertAnalysisOptionsApply(["latency", "loss"], { budget: "64kbit" });
      expect.unreachable();
    } catch (error) {
      expect(hasErrorCode(error, "E_USAGE")).toBe(true);
    }
    // options of a selected analysis, and no option at all, are fine
    expect(() => assertAnalysisOptionsApply(["latency", "bandwidth"], { tolerance: ["position=0.01"], budget: "64kbit" })).not.toThrow();
    expect(() => assertAnalysisOptionsApply(["latency"], { only: ["latency"] })).not.toThrow();
  });

  it("makes `analyze --only latency --tolerance ...` exit 2 with E_USAGE before reading the capture", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-option-scope-"));
    const capture = join(directory, "match.pcapng");
    writeFileSync(capture, simulateMatchToMemory({ seed: 3, players: 2, durationMs: 1_000 }).pcapng);
    const run = await runInMemory(["analyze", capture, "--only", "latency", "--tolerance", "position=0.01", "--format", "json"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/^tickscope: E_USAGE: --tolerance applies to bandwidth, which the selected analyses \(latency\) leave out/);
    expect(run.stdout).toBe("");
    const kept = await runInMemory(["analyze", capture, "--only", "latency,bandwidth", "--budget", "64kbit", "--format", "json"]);
    expect(kept.code, kept.stderr).toBe(ExitCode.ok);
  });
});

describe("report formats that need --out", () => {
  it("several formats, or csv/otlp (several files each), without --out are E_INVALID_OPTION; one single-file format or --out is fine", () => {
    expect(() => assertFormatsHaveDestination(["md", "json"], undefined)).toThrow(/--format md,json writes 2 files/);
    expect(() => assertFormatsHaveDestination(["csv"], undefined)).toThrow(/several files \(csv/);
    expect(() => assertFormatsHaveDestination(["otlp"], undefined)).toThrow(/otlp/);
    expect(() => assertFormatsHaveDestination(["html"], undefined)).not.toThrow();
    expect(() => assertFormatsHaveDestination(["csv", "otlp", "md"], "out")).not.toThrow();
  });

  it("`demo --format html,csv` without --out fails at once, before simulating (was after the 60-s match and its analysis)", async () => {
    const startedMs = performance.now();
    const run = await runInMemory(["demo", "--format", "html,csv"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/^tickscope: E_INVALID_OPTION: --format html,csv writes several files/);
    expect(run.stderr).not.toMatch(/simulated/);
    expect(performance.now() - startedMs).toBeLessThan(5_000);
  });

  it("`analyze --format csv` without --out fails before reading the capture", async () => {
    const run = await runInMemory(["analyze", "/nonexistent/capture.pcap", "--format", "csv"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/E_INVALID_OPTION: --format csv writes several files/);
  });
});
