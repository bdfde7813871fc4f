import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { simulateMatchToMemory } from "@tickscope/sim";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const directory = mkdtempSync(join(tmpdir(), "tickscope-infer-"));
const capturePath = join(directory, "arena.pcapng");
const noisePath = join(directory, "noise.pcapng");

/** Median of the sessions' RTT p50 and the pooled datagram loss of an analyze JSON report. */
function headline(report: { analyses: Record<string, any> }): { rttP50Ms: number; lossPercent: number } {
  const rtts = (report.analyses.latency.sessions as { rttMs: { p50: number } }[]).map((session) => session.rttMs.p50).sort((a, b) => a - b);
  const streams = report.analyses.loss.sessions as { expected: number; lost: number }[];
  const expected = streams.reduce((sum, stream) => sum + stream.expected, 0);
  const lost = streams.reduce((sum, stream) => sum + stream.lost, 0);
  return { rttP50Ms: rtts[rtts.length >> 1]!, lossPercent: (100 * lost) / expected };
}

beforeAll(() => {
  const match = simulateMatchToMemory({ seed: 21, players: 4, durationMs: 20_000, profile: "4g" });
  writeFileSync(capturePath, match.pcapng);
});

describe("tickscope protocol infer", () => {
  it("drafts arena's header from a simulated match, and the draft passes protocol check", async () => {
    const out = join(directory, "draft.json");
    const run = await runInMemory(["protocol", "infer", capturePath, "--out", out]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/sequence\s+u16 BE @4/);
    expect(run.stdout).toMatch(/ack\s+u16 BE @6/);
    expect(run.stdout).toMatch(/sendTime us\s+u48 BE @12/);
    const check = await runInMemory(["protocol", "check", out]);
    expect(check.code, check.stderr).toBe(ExitCode.ok);
    const json = await runInMemory(["protocol", "infer", capturePath, "--format", "json"]);
    const document = JSON.parse(json.stdout);
    expect(document.found).toBe(true);
    expect(document.fields.find((field: { role: string }) => field.role === "ackBits")).toMatchObject({ offset: 8, bytes: 4, littleEndian: false });
    expect(document.definition.header[1]).toMatchObject({ name: "sequence", type: "u16", role: "sequence" });
  });

  it("says nothing found on a capture without structure, and writes no draft", async () => {
    // a short capture of random payloads: the arena capture with every payload byte replaced
    const bytes = new Uint8Array(readFileSync(capturePath));
    let state = 12345;
    // pcapng enhanced packet blocks: overwrite UDP payload bytes after the 42-byte Ethernet/IPv4/UDP headers
    for (let offset = 0; offset + 12 < bytes.length; ) {
      const type = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
      const length = bytes[offset + 4]! | (bytes[offset + 5]! << 8) | (bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 24);
      if (length <= 0) break;
      if (type === 6) {
        const captured = bytes[offset + 20]! | (bytes[offset + 21]! << 8);
        for (let index = offset + 28 + 42; index < offset + 28 + captured; index++) {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          bytes[index] = state >>> 24;
        }
      }
      offset += length;
    }
    writeFileSync(noisePath, bytes);
    const run = await runInMemory(["protocol", "infer", noisePath, "--out", join(directory, "none.json")]);
    expect(run.stdout).toContain("nothing found");
    expect(run.code).toBe(ExitCode.findings);
    const bad = await runInMemory(["protocol", "infer", capturePath, "--format", "xml"]);
    expect(bad.code).toBe(ExitCode.usage);
  });

  it("analyze --protocol auto gives the loss and RTT of analyze --protocol arena.json", async () => {
    const auto = await runInMemory(["analyze", capturePath, "--protocol", "auto", "--only", "latency,loss", "--format", "json"]);
    expect(auto.code, auto.stderr).toBe(ExitCode.ok);
    const reference = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--only", "latency,loss", "--format", "json"]);
    const inferred = headline(JSON.parse(auto.stdout).report);
    const declared = headline(JSON.parse(reference.stdout).report);
    console.log(`auto: loss ${inferred.lossPercent.toFixed(3)}% RTT p50 ${inferred.rttP50Ms.toFixed(2)} ms; arena.json: loss ${declared.lossPercent.toFixed(3)}% RTT p50 ${declared.rttP50Ms.toFixed(2)} ms`);
    expect(Math.abs(inferred.lossPercent - declared.lossPercent)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(inferred.rttP50Ms - declared.rttP50Ms)).toBeLessThanOrEqual(5);
    expect(JSON.parse(auto.stdout).inputs[0]).toMatchObject({ kind: "protocol", name: "auto" });
    const stdin = await runInMemory(["analyze", "-", "--protocol", "auto"]);
    expect(stdin.code).toBe(ExitCode.usage);
    expect(stdin.stderr).toContain("E_INVALID_OPTION");
  });
});
