import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const TSHARK = "/usr/bin/tshark";
const SHAPES = ["le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64", "redundant-inputs"] as const;
const directory = mkdtempSync(join(tmpdir(), "tickscope-simulate-protocol-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe.each(SHAPES)("tickscope simulate --protocol examples/protocols/%s.json", (shape) => {
  const definition = `${examples}${shape}.json`;
  const capture = join(directory, `${shape}.pcapng`);

  it("writes a capture that analyze decodes with 0 decode and capture anomalies", async () => {
    const simulate = await runInMemory(["simulate", "--protocol", definition, "--players", "8", "--duration", "3s", "--seed", "1", "--out", capture, "--truth", join(directory, `${shape}.truth.json`)]);
    expect(simulate.code, simulate.stderr).toBe(ExitCode.ok);
    const summary = JSON.parse(/: (\{.*\})\n/.exec(simulate.stdout)![1]) as { serverCapturePackets: number };
    const out = join(directory, `${shape}-report`);
    const analyze = await runInMemory(["analyze", capture, "--protocol", definition, "--format", "json", "--out", out]);
    expect(analyze.code, analyze.stderr).toBe(ExitCode.ok);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")).report as {
      decodeAnomalies: Record<string, number>;
      captures: { packets: number; anomalies: Record<string, number> }[];
      analyses: { latency: { sessions: unknown[] } };
    };
    expect(report.decodeAnomalies).toEqual({});
    expect(report.captures.map((entry) => entry.anomalies)).toEqual([{}]);
    expect(report.captures[0].packets).toBe(summary.serverCapturePackets);
    expect(report.analyses.latency.sessions).toHaveLength(8);
  });

  it.skipIf(!existsSync(TSHARK))("is read by tshark with no malformed packet", () => {
    const all = execFileSync(TSHARK, ["-r", capture], { encoding: "utf8", maxBuffer: 64 << 20 }).trim().split("\n").length;
    const malformed = execFileSync(TSHARK, ["-r", capture, "-Y", "_ws.malformed || _ws.expert.severity >= error"], { encoding: "utf8" }).trim();
    expect(all).toBeGreaterThan(1000);
    expect(malformed).toBe("");
  });
});

describe("tickscope simulate --protocol: a definition that cannot carry a match", () => {
  it("fails with E_PROTOCOL_UNSUPPORTED naming the missing roles, before writing anything", async () => {
    const out = join(directory, "rtp.pcapng");
    const run = await runInMemory(["simulate", "--protocol", `${examples}rtp.json`, "--duration", "2s", "--out", out]);
    expect(run.code).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toMatch(/E_PROTOCOL_UNSUPPORTED: protocol rtp cannot carry a simulated match; missing: .*inputSequence.*targetTime/);
    expect(existsSync(out)).toBe(false);
  });
});
