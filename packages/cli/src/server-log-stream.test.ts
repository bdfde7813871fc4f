import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "@tickscope-test/support";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");

describe("analyze --server-log streams the log (issue 19 item 4)", () => {
  it("merges every event in time order and reports one far out of order as E_LOG_OUT_OF_ORDER", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-log-stream-"));
    const matchPath = join(directory, "match.pcapng");
    const logPath = join(directory, "server-log.ndjson");
    const simulate = await runInMemory(["simulate", "--players", "2", "--duration", "3s", "--seed", "3", "--out", matchPath, "--server-log", logPath]);
    expect(simulate.code, simulate.stderr).toBe(ExitCode.ok);
    const lines = readFileSync(logPath, "utf8").trim().split("\n");
    const first = JSON.parse(lines[0]) as { tUs: number };
    const last = JSON.parse(lines.at(-1)!) as { tUs: number };
    // more events than the 4,096-event reorder window after the log's end, then one from before its start
    const extra = Array.from({ length: 5000 }, (_, index) => JSON.stringify({ tUs: last.tUs + 1 + index, type: "tick", tick: index }));
    extra.push(JSON.stringify({ tUs: first.tUs - 1, type: "late", tick: 0 }));
    writeFileSync(logPath, `${[...lines, ...extra].join("\n")}\n`);
    const run = await runInMemory(["analyze", matchPath, "--protocol", arenaPath, "--server-log", logPath, "--only", "latency", "--format", "json"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout).options.serverLogEvents).toBe(lines.length + 5001);
    expect(run.stderr).toContain("E_LOG_OUT_OF_ORDER × 1");
  }, 60_000);
});
