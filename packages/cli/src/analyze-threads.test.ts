import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TickscopeError, type LogEvent } from "@tickscope/core";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import { startAnalysisWorker, type AnalyzeWorkerMessage } from "./analyze-worker-launch.js";
import { serveAnalysisPass } from "./analyze-worker.js";
import { ExitCode } from "./exit-code.js";
import { runAnalysisPass, runAnalyze } from "./run-analyze.js";
import { runInMemory } from "./test-support/run.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-threads-"));
const capturePath = join(directory, "match.pcapng");
const farCapturePath = join(directory, "far.pcapng");
const logPath = join(directory, "server-log.ndjson");
const garbagePath = join(directory, "garbage.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");

beforeAll(() => {
  const match = simulateMatchToMemory({
    seed: 21,
    players: 6,
    durationMs: 12_000,
    tickRate: 30,
    profile: "cable",
    cheats: [{ playerId: 3, kind: "speedhack" }],
    networkEvents: [
      { kind: "latencySpike", startMs: 4_000, durationMs: 1_500, extraDelayMs: 180, playerIds: [1] },
      { kind: "lossBurst", startMs: 7_000, durationMs: 1_000, playerIds: [2] },
    ],
  });
  writeFileSync(capturePath, match.pcapng);
  writeFileSync(logPath, match.serverLog);
  writeFileSync(farCapturePath, simulateMatchToMemory({ seed: 22, players: 4, durationMs: 12_000, tickRate: 30, profile: "intercontinental" }).pcapng);
  writeFileSync(garbagePath, Buffer.from("this is not a capture file at all, only text".repeat(20)));
});

/** Every file a run wrote into `out`, by name. */
function writtenFiles(out: string): Record<string, string> {
  return Object.fromEntries(readdirSync(out).sort().map((name) => [name, readFileSync(join(out, name), "utf8")]));
}

describe("analyze --threads N writes byte-identical reports (issue 16)", () => {
  it.each([
    ["one capture and a server log", () => [capturePath, "--server-log", logPath]],
    ["captures of two regions and a server log", () => ["--region", `eu-west=${capturePath}`, "--region", `ap-south=${farCapturePath}`, "--server-log", logPath]],
  ])("%s: JSON, markdown and CSV of --threads 1, 2 and 3 are the same bytes", async (_name, inputs) => {
    const reports: Record<string, string>[] = [];
    for (const threads of [1, 2, 3]) {
      const out = join(directory, `${_name.replaceAll(" ", "-")}-${threads}`);
      const run = await runInMemory(["analyze", ...inputs(), "--protocol", arenaPath, "--format", "json,md,csv", "--out", out, "--threads", String(threads), "--verbose"]);
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      // the run really used that many threads (main + workers), each with a share of the five analyses
      const plan = /^analyze: (\d+) threads?(?:: (.*))?$/m.exec(run.stderr);
      expect(plan?.[1], run.stderr).toBe(String(threads));
      if (threads > 1) expect(plan![2]!.split(/ \| |,/).sort()).toEqual([...ANALYSIS_NAMES].sort());
      reports.push(writtenFiles(out));
    }
    expect(Object.keys(reports[0]!)).toEqual(expect.arrayContaining(["report.json", "report.md", "findings.csv", "sessions.csv"]));
    const document = JSON.parse(reports[0]!["report.json"]!);
    expect(document.generatedAt).toBe("1970-01-01T00:00:00.000Z");
    expect(document.options.serverLogEvents).toBeGreaterThan(100);
    expect(Object.keys(document.report.analyses).sort()).toEqual([...ANALYSIS_NAMES].sort());
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });

  it("an unreadable capture, a bad definition and a missing file fail with the same code, line and exit code on 1 and 2 threads", async () => {
    const badDefinition = join(directory, "bad-definition.json");
    writeFileSync(badDefinition, '{ "name": "x", "messages": [ }');
    const cases = [
      { args: [garbagePath, "--protocol", arenaPath], code: "E_BAD_MAGIC" },
      { args: [capturePath, "--protocol", badDefinition], code: "E_DEFINITION_INVALID" },
      { args: [join(directory, "missing.pcapng"), "--protocol", arenaPath], code: "E_IO" },
    ];
    for (const { args, code } of cases) {
      const one = await runInMemory(["analyze", ...args, "--format", "json", "--threads", "1"]);
      const two = await runInMemory(["analyze", ...args, "--format", "json", "--threads", "2"]);
      expect(one.code, one.stderr).toBe(ExitCode.unreadableInput);
      expect(one.stderr).toMatch(new RegExp(`^tickscope: ${code}: `));
      expect(two).toEqual(one);
    }
  });

  it("--threads 0 and --threads x are usage errors", async () => {
    for (const value of ["0", "x", "1.5"]) {
      const run = await runInMemory(["analyze", capturePath, "--threads", value]);
      expect(run.code).toBe(ExitCode.usage);
      expect(run.stderr).toMatch(/^tickscope: E_INVALID_OPTION: --threads /);
    }
  });
});

describe("worker threads of analyze", () => {
  it("a worker's pass posts progress, then the sections runAnalysisPass builds, or its error as data", async () => {
    const request = { inputs: [{ path: capturePath }], protocolPath: arenaPath, analyses: ["loss", "regions"] as const };
    const messages: AnalyzeWorkerMessage[] = [];
    await serveAnalysisPass({ kind: "tickscope-analyze-pass", request, reportProgress: true }, (message) => messages.push(message));
    const progress = messages.filter((message) => message.kind === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ kind: "progress", bytesRead: statSync(capturePath).size });
    const done = messages.at(-1);
    expect(done?.kind).toBe("done");
    expect(JSON.stringify(done?.kind === "done" ? done.sections : undefined)).toBe(JSON.stringify(await runAnalysisPass(request)));
    const failed: AnalyzeWorkerMessage[] = [];
    await serveAnalysisPass({ kind: "tickscope-analyze-pass", request: { ...request, inputs: [{ path: garbagePath }] }, reportProgress: false }, (message) => failed.push(message));
    expect(failed).toEqual([{ kind: "error", error: expect.objectContaining({ tickscope: true, code: "E_BAD_MAGIC", offset: 0 }) }]);
  });

  it("a worker's error keeps its stable code and position", async () => {
    const missing = startAnalysisWorker({ inputs: [{ path: join(directory, "missing.pcapng") }], analyses: ["loss"] });
    const ioError = await missing.result.catch((error: unknown) => error);
    expect(TickscopeError.isInstance(ioError)).toBe(true);
    expect((ioError as TickscopeError).code).toBe("E_IO");
    const garbage = startAnalysisWorker({ inputs: [{ path: garbagePath }], analyses: ["loss"] });
    const magicError = await garbage.result.catch((error: unknown) => error);
    expect((magicError as TickscopeError).code).toBe("E_BAD_MAGIC");
    expect((magicError as TickscopeError).offset).toBe(0);
    await garbage.terminate();
  });

  it("a worker failing while the main thread is fine fails the whole run with the worker's error", async () => {
    // the main thread merges the events it is given; the worker must open the (missing) file
    const events: LogEvent[] = [];
    const run = runAnalyze({
      inputs: [{ path: capturePath }],
      protocolPath: arenaPath,
      analyses: ["latency", "loss", "bandwidth"],
      threads: 2,
      logStream: (async function* () {
        yield* events;
      })(),
      serverLog: { path: join(directory, "missing-log.ndjson") },
    });
    await expect(run).rejects.toMatchObject({ code: "E_IO" });
  });

  it("reports progress as the bytes the slowest thread has read, up to the capture's size", async () => {
    const progress: [number, number][] = [];
    const threads: string[] = [];
    await runAnalyze({
      inputs: [{ path: capturePath }],
      protocolPath: arenaPath,
      analyses: ["latency", "bandwidth"],
      threads: 2,
      onThreads: (line) => threads.push(line),
      onProgress: (bytesRead, totalBytes) => progress.push([bytesRead, totalBytes]),
    });
    // the main thread takes the shard with bandwidth's finish (see planAnalysisShards)
    expect(threads).toEqual(["2 threads: bandwidth | latency"]);
    const size = statSync(capturePath).size;
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every(([, total]) => total === size)).toBe(true);
    expect(progress.map(([read]) => read)).toEqual([...progress.map(([read]) => read)].sort((left, right) => left - right));
    expect(progress.at(-1)![0]).toBe(size);
  });

  it("options that are not plain data keep the run on one thread, with the same result", async () => {
    const threads: string[] = [];
    const options = { inputs: [{ path: capturePath }], protocolPath: arenaPath, analyses: ["loss", "anticheat"] as const, generatedAt: "fixed" };
    const settings = { loss: {}, unrelated: () => 1 };
    const threaded = await runAnalyze({ ...options, settings, threads: 2, onThreads: (line) => threads.push(line) });
    expect(threads).toEqual(["1 thread (the options are not plain data a worker can receive)"]);
    expect(JSON.stringify(threaded)).toBe(JSON.stringify(await runAnalyze({ ...options, settings, threads: 1 })));
  });

  it("an analysis listed twice, or a log stream without its file, keeps the run on one thread", async () => {
    const threads: string[] = [];
    await runAnalyze({ inputs: [{ path: capturePath }], analyses: ["loss", "loss"], threads: 2, onThreads: (line) => threads.push(line) });
    const events: LogEvent[] = [];
    await runAnalyze({ inputs: [{ path: capturePath }], analyses: ["loss", "anticheat"], threads: 2, logStream: events.values() as unknown as AsyncIterable<LogEvent>, onThreads: (line) => threads.push(line) });
    await runAnalyze({ inputs: [{ path: capturePath }], analyses: ["loss", "anticheat"], threads: 1, onThreads: (line) => threads.push(line) });
    expect(threads).toEqual(["1 thread (an analysis is listed twice)", "1 thread (the server log is a stream without its file)", "1 thread"]);
  });

  it("without --threads a small capture stays on one thread", async () => {
    const threads: string[] = [];
    await runAnalyze({ inputs: [{ path: capturePath }], analyses: ["loss", "regions"], onThreads: (line) => threads.push(line) });
    expect(threads).toEqual(["1 thread"]);
  });
});

describe("analyze - (stdin) with --threads", () => {
  const hooks = fileURLToPath(new URL("./test-support/source-worker-hooks.mjs", import.meta.url));
  const binary = fileURLToPath(new URL("./bin.ts", import.meta.url));

  function runFromStdin(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", hooks, binary, ...args], {
        stdio: [openSync(capturePath, "r"), "pipe", "pipe"],
        env: { ...process.env, SOURCE_DATE_EPOCH: "0" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("reads stdin once on one thread and writes the report --threads 1 writes", async () => {
    const args = ["--verbose", "analyze", "-", "--protocol", arenaPath, "--only", "latency,loss,bandwidth", "--format", "json", "--quiet"];
    const [threaded, single] = await Promise.all([runFromStdin([...args, "--threads", "2"]), runFromStdin([...args, "--threads", "1"])]);
    expect(threaded.code, threaded.stderr).toBe(0);
    expect(threaded.stderr).toContain("analyze: 1 thread (a capture is stdin (-), which cannot be read twice)");
    expect(JSON.parse(threaded.stdout).report.captures[0].packets).toBeGreaterThan(1000);
    expect(threaded.stdout).toBe(single.stdout);
  }, 120_000);
});
