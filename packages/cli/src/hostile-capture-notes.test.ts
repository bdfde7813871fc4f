import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-hostile-"));
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const rtpPath = join(repositoryRoot, "examples", "protocols", "rtp.json");
const match = simulateMatchToMemory({ seed: 4, players: 2, durationMs: 2_000 }).pcapng;
const truncatedPath = join(directory, "cut.pcapng");
writeFileSync(truncatedPath, match.subarray(0, Math.floor(match.length * 0.6)));
const wholePath = join(directory, "whole.pcapng");
writeFileSync(wholePath, match);
const emptyPath = join(directory, "empty.pcap");
writeFileSync(emptyPath, new Uint8Array(0));

describe("hostile captures: the human outputs say what the reader met", () => {
  it("analyze on a capture cut inside a packet names E_TRUNCATED in the markdown (was only in report.json)", async () => {
    const run = await runInMemory(["analyze", truncatedPath, "--protocol", arenaPath, "--only", "latency"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/^Capture anomalies \(counted, the rest read\): .*cut\.pcapng: E_TRUNCATED × 1\.$/m);
    const clean = await runInMemory(["analyze", wholePath, "--protocol", arenaPath, "--only", "latency"]);
    expect(clean.stdout).not.toContain("Capture anomalies");
  });

  it("decode says why it printed nothing (a definition that matches no datagram) and names capture anomalies (was silent, exit 0)", async () => {
    const unmatched = await runInMemory(["decode", wholePath, "--protocol", rtpPath]);
    expect(unmatched.code, unmatched.stderr).toBe(ExitCode.ok);
    expect(unmatched.stdout).toBe("");
    expect(unmatched.stderr).toMatch(/^decode: no message decoded: the definition matched none of the capture's \d+ other-traffic packet\(s\)/m);
    const cut = await runInMemory(["decode", truncatedPath, "--protocol", arenaPath]);
    expect(cut.code, cut.stderr).toBe(ExitCode.ok);
    expect(cut.stdout.length).toBeGreaterThan(0);
    expect(cut.stderr).toContain("decode: capture anomalies (counted, the rest read): E_TRUNCATED × 1");
    expect(cut.stderr).not.toContain("no message decoded");
  });

  it("an empty file is E_TRUNCATED (exit 3) for analyze, inspect and decode, never a crash", async () => {
    for (const args of [["analyze", emptyPath], ["inspect", emptyPath], ["decode", emptyPath, "--protocol", arenaPath]]) {
      const run = await runInMemory(args);
      expect(run.code, args.join(" ")).toBe(ExitCode.unreadableInput);
      expect(run.stderr).toMatch(/^tickscope: E_TRUNCATED: /);
      expect(run.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    }
    expect(readFileSync(emptyPath).length).toBe(0);
  });
});
