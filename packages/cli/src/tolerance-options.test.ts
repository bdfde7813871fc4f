import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TickscopeError } from "@tickscope/core";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";
import { resolveToleranceNames, toleranceNames } from "./tolerance-names.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-tolerance-"));
const capturePath = join(directory, "match.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const arena = JSON.parse(readFileSync(arenaPath, "utf8"));

beforeAll(() => {
  writeFileSync(capturePath, simulateMatchToMemory({ seed: 5, players: 3, durationMs: 6_000, tickRate: 30, profile: "cable" }).pcapng);
});

interface PlanLike {
  steps: { kind: string; bytesAfter: number; maxError: number }[];
  budget?: { budgetBitsPerSecond: number; met: boolean };
}

async function bandwidthPlan(args: readonly string[]): Promise<PlanLike> {
  const run = await runInMemory(["bandwidth", capturePath, "--protocol", arenaPath, "--json", ...args]);
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  return (JSON.parse(run.stdout) as { plan: PlanLike }).plan;
}

describe("--tolerance names", () => {
  it("resolves a role (and its prefix) to every field path that carries it, keeps field paths and names", () => {
    const names = toleranceNames(arena);
    expect([...names.roles.get("position")!].sort()).toEqual(expect.arrayContaining(["entities[].x", "entities[].y", "entities[].z", "x", "y", "z"]));
    expect(names.roles.get("position.x")).toContain("entities[].x");
    const resolved = resolveToleranceNames(new Map([["position", 0.01], ["entities[].z", 0.5], ["yaw", 0.02]]), arena);
    expect(resolved.get("entities[].x")).toBe(0.01);
    expect(resolved.get("entities[].z")).toBe(0.5); // an exact path beats the role
    expect(resolved.get("yaw")).toBe(0.02);
    expect(resolved.has("position")).toBe(false);
  });

  it("rejects an unknown name with E_INVALID_OPTION listing the roles and paths, and any name without a definition", () => {
    let error: unknown;
    try {
      resolveToleranceNames(new Map([["positon", 0.01]]), arena);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TickscopeError);
    expect((error as TickscopeError).code).toBe("E_INVALID_OPTION");
    expect((error as TickscopeError).message).toContain("'positon'");
    expect((error as TickscopeError).hint).toContain("position");
    expect((error as TickscopeError).hint).toContain("entities[].x");
    expect(() => resolveToleranceNames(new Map([["position", 0.01]]), undefined)).toThrow(/protocol definition/);
  });

  it("makes `bandwidth --tolerance position=...` change the quantization; unknown names exit 2 with the valid ones", async () => {
    const fine = await bandwidthPlan(["--tolerance", "position=0.001"]);
    const coarse = await bandwidthPlan(["--tolerance", "position=1"]);
    const quantization = (plan: PlanLike) => plan.steps.find((step) => step.kind === "quantization");
    expect(quantization(coarse), JSON.stringify(coarse.steps)).toBeDefined();
    expect(quantization(coarse)!.maxError).toBeGreaterThan(quantization(fine)?.maxError ?? 0);
    expect(JSON.stringify(coarse.steps)).not.toBe(JSON.stringify(fine.steps));
    const unknown = await runInMemory(["bandwidth", capturePath, "--protocol", arenaPath, "--tolerance", "bogus=0.1"]);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toContain("E_INVALID_OPTION");
    expect(unknown.stderr).toContain("'bogus'");
    expect(unknown.stderr).toContain("position");
    const withoutProtocol = await runInMemory(["bandwidth", capturePath, "--tolerance", "position=0.1"]);
    expect(withoutProtocol.code).toBe(ExitCode.usage);
    expect(withoutProtocol.stderr).toContain("E_INVALID_OPTION");
  }, 60_000);

  it("gives analyze --tolerance/--budget (shared with the bandwidth command) and shows the budget in text", async () => {
    const analyze = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--only", "bandwidth", "--tolerance", "position=0.05", "--budget", "16kbit"]);
    expect(analyze.code, analyze.stderr).toBe(ExitCode.ok);
    expect(analyze.stdout).toMatch(/Budget 16 kbit\/s per session downstream: (met|not met)/);
    const single = await runInMemory(["bandwidth", capturePath, "--protocol", arenaPath, "--budget", "16kbit"]);
    expect(single.stdout).toMatch(/Budget 16 kbit\/s per session downstream/);
    const bad = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--only", "bandwidth", "--tolerance", "nope=1"]);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toContain("E_INVALID_OPTION");
  }, 60_000);

  it("gives single-analysis commands --format/--out like analyze", async () => {
    const out = join(directory, "loss-reports");
    const run = await runInMemory(["loss", capturePath, "--protocol", arenaPath, "--format", "json,csv", "--out", out]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(existsSync(join(out, "report.json"))).toBe(true);
    expect(existsSync(join(out, "sessions.csv"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).options.only).toEqual(["loss"]);
    const conflicting = await runInMemory(["loss", capturePath, "--json", "--format", "csv", "--out", out]);
    expect(conflicting.code).toBe(ExitCode.usage);
  }, 60_000);

  it("gives single-analysis commands --server-region like analyze", async () => {
    // the simulator's first region serves from 203.0.113.10
    const run = await runInMemory(["regions", capturePath, "--protocol", arenaPath, "--server-region", "eu-test=203.0.113.10", "--json"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain('"eu-test"');
    const bad = await runInMemory(["regions", capturePath, "--server-region", "eu-test=not-an-address"]);
    expect(bad.code).toBe(ExitCode.usage);
  }, 60_000);
});
