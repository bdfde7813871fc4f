import { beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse as parseCsv } from "csv-parse/sync";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";
import { AnalyzeReportSchema } from "./report-document.js";
import { exitCodeForFindings } from "./commands/analyze.js";
import { sampleAnalyzeResult } from "./test-support/sample-result.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-analyze-"));
const capturePath = join(directory, "match.pcapng");
const farCapturePath = join(directory, "far.pcapng");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");

beforeAll(() => {
  const match = simulateMatchToMemory({
    seed: 11,
    players: 4,
    durationMs: 20_000,
    tickRate: 30,
    profile: "cable",
    networkEvents: [{ kind: "latencySpike", startMs: 8_000, durationMs: 1_500, extraDelayMs: 200, playerIds: [1] }],
  });
  writeFileSync(capturePath, match.pcapng);
  const far = simulateMatchToMemory({ seed: 12, players: 4, durationMs: 20_000, tickRate: 30, profile: "intercontinental" });
  writeFileSync(farCapturePath, far.pcapng);
});

describe("tickscope analyze", () => {
  it("writes every requested format, parseable and schema-valid, in one pass", async () => {
    const out = join(directory, "reports");
    const run = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "json,md,csv,ndjson,prom,otlp,html", "--out", out]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const document = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    const validate = new Ajv({ strict: false }).compile(JSON.parse(JSON.stringify(AnalyzeReportSchema)));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.report.sessions).toHaveLength(4);
    expect(document.report.captures[0].format).toBe("pcapng");
    const latency = document.report.analyses.latency;
    const spiked = latency.sessions.filter((session: { spikes: unknown[] }) => session.spikes.length > 0).map((session: { id: string }) => session.id);
    expect(spiked.length).toBeGreaterThan(0);
    const sessions = parseCsv(readFileSync(join(out, "sessions.csv"), "utf8"), { columns: true });
    expect(sessions).toHaveLength(4);
    for (const file of ["report.md", "events.ndjson", "metrics.prom", "otlp-metrics.json", "otlp-logs.json", "report.html"]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("## Answers");
  });

  it("gives byte-identical JSON for the same input", async () => {
    const first = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "json", "--only", "latency"]);
    const second = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "json", "--only", "latency"]);
    expect(first.code).toBe(ExitCode.ok);
    expect(first.stdout).toBe(second.stdout);
  });

  it("dates the report now, or at SOURCE_DATE_EPOCH when that is set", async () => {
    const generatedAt = async () => {
      const run = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "json", "--only", "loss"]);
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      return JSON.parse(run.stdout).generatedAt as string;
    };
    try {
      vi.stubEnv("SOURCE_DATE_EPOCH", "1700000000");
      expect(await generatedAt()).toBe("2023-11-14T22:13:20.000Z");
      vi.stubEnv("SOURCE_DATE_EPOCH", undefined);
      const before = Date.now();
      const real = Date.parse(await generatedAt());
      expect(real).toBeGreaterThanOrEqual(before);
      expect(real).toBeLessThanOrEqual(Date.now());
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("exits 1 when findings reach --fail-on, 0 otherwise", async () => {
    const result = sampleAnalyzeResult();
    expect(exitCodeForFindings(result, "high")).toBe(ExitCode.findings);
    expect(exitCodeForFindings(result, "critical")).toBe(ExitCode.ok);
    expect(exitCodeForFindings(result, undefined)).toBe(ExitCode.ok);
    const run = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--fail-on", "info", "--format", "md"]);
    expect(run.code).toBe(ExitCode.findings);
  });

  it("reads options from a validated config file, and rejects a bad one", async () => {
    const config = join(directory, "tickscope.config.json");
    writeFileSync(config, JSON.stringify({ protocol: arenaPath, only: ["latency"], formats: ["ndjson"] }));
    const run = await runInMemory(["analyze", capturePath, "--config", config]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout.split("\n")[0]).toMatch(/^\{"event":/);
    writeFileSync(config, JSON.stringify({ only: ["astrology"] }));
    const bad = await runInMemory(["analyze", capturePath, "--config", config]);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toContain("/only/0");
    writeFileSync(config, "{ not json");
    expect((await runInMemory(["analyze", capturePath, "--config", config])).code).toBe(ExitCode.usage);
  });

  it("merges a game-server log (the simulator's format by default, or a mapping file)", async () => {
    const matchPath = join(directory, "logged.pcapng");
    const logPath = join(directory, "server-log.ndjson");
    const simulate = await runInMemory(["simulate", "--players", "3", "--duration", "5s", "--seed", "5", "--out", matchPath, "--server-log", logPath]);
    expect(simulate.code, simulate.stderr).toBe(ExitCode.ok);
    const run = await runInMemory(["analyze", matchPath, "--protocol", arenaPath, "--server-log", logPath, "--only", "latency", "--format", "json"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout).options.serverLogEvents).toBeGreaterThan(100);
    writeFileSync(logPath, `${readFileSync(logPath, "utf8")}this is not json\n`);
    const damaged = await runInMemory(["analyze", matchPath, "--protocol", arenaPath, "--server-log", logPath, "--only", "latency", "--format", "json"]);
    expect(damaged.code).toBe(ExitCode.ok);
    expect(damaged.stderr).toContain("E_BAD_LOG_LINE × 1");
    const mapPath = join(directory, "log-map.json");
    writeFileSync(mapPath, "{ nope");
    expect((await runInMemory(["analyze", matchPath, "--server-log", logPath, "--log-map", mapPath])).code).toBe(ExitCode.usage);
    writeFileSync(mapPath, JSON.stringify({ format: "ndjson", timeField: "tUs", timeUnit: "us", typeField: "type" }));
    const mapped = await runInMemory(["analyze", matchPath, "--protocol", arenaPath, "--server-log", logPath, "--log-map", mapPath, "--only", "latency", "--format", "json"]);
    expect(mapped.code, mapped.stderr).toBe(ExitCode.ok);
  });

  it("needs an input and a single-file format without --out", async () => {
    expect((await runInMemory(["analyze"])).code).toBe(ExitCode.usage);
    const several = await runInMemory(["analyze", capturePath, "--protocol", arenaPath, "--format", "json,md"]);
    expect(several.code).toBe(ExitCode.usage);
    expect(several.stderr).toContain("--out");
  });

  it("labels sessions with --region and decodes with inspect --protocol", async () => {
    const run = await runInMemory(["analyze", "--region", `eu-west=${capturePath}`, "--protocol", arenaPath, "--format", "json", "--only", "latency"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout).report.sessions.every((session: { region?: string }) => session.region === "eu-west")).toBe(true);
    const byServer = await runInMemory(["analyze", capturePath, "--server-region", "eu-west=203.0.113.10", "--protocol", arenaPath, "--format", "json", "--only", "latency"]);
    expect(JSON.parse(byServer.stdout).report.sessions.every((session: { region?: string }) => session.region === "eu-west")).toBe(true);
    const inspect = await runInMemory(["inspect", capturePath, "--protocol", arenaPath, "--json"]);
    const document = JSON.parse(inspect.stdout);
    expect(document.messages.some((message: { type: string }) => message.type === "snapshot")).toBe(true);
    expect(document.decodeAnomalies).toEqual({});
  });

  it("decodes messages as NDJSON and as text", async () => {
    const ndjson = await runInMemory(["decode", capturePath, "--protocol", arenaPath, "--ndjson"]);
    expect(ndjson.code).toBe(ExitCode.ok);
    const first = JSON.parse(ndjson.stdout.split("\n")[0]!);
    expect(first).toMatchObject({ kind: "message", direction: expect.stringMatching(/clientToServer|serverToClient/), frameNumber: 1, packetIndex: 0 });
    const text = await runInMemory(["decode", capturePath, "--protocol", arenaPath]);
    expect(text.stdout.split("\n")[0]).toMatch(/ frame 1 udp:/);
  });
});

describe("per-analysis subcommands", () => {
  it("print the analysis's own report shape with --json, and the human section without", async () => {
    const latency = await runInMemory(["latency", capturePath, "--protocol", arenaPath, "--json"]);
    expect(latency.code, latency.stderr).toBe(ExitCode.ok);
    const report = JSON.parse(latency.stdout);
    expect(report.sessions[0]).toMatchObject({ id: expect.any(String), method: expect.any(String), rttMs: { p50: expect.any(Number) } });
    const loss = await runInMemory(["loss", capturePath, "--protocol", arenaPath]);
    expect(loss.code, loss.stderr).toBe(ExitCode.ok);
    expect(loss.stdout).toContain("### loss:");
    expect((await runInMemory(["loss"])).code).toBe(ExitCode.usage);
    const regions = await runInMemory(["regions", "--region", `near=${capturePath}`, "--region", `far=${farCapturePath}`, "--protocol", arenaPath, "--json"]);
    expect(regions.code, regions.stderr).toBe(ExitCode.ok);
    const regionsReport = JSON.parse(regions.stdout);
    expect(regionsReport.regions.map((region: { name: string }) => region.name).sort()).toEqual(["far", "near"]);
    const near = regionsReport.regions.find((region: { name: string }) => region.name === "near");
    const farRegion = regionsReport.regions.find((region: { name: string }) => region.name === "far");
    expect(farRegion.rttMs.p50).toBeGreaterThan(near.rttMs.p50);
    expect(regionsReport.ranking[0]).toBe("near");
    const gated = await runInMemory(["latency", capturePath, "--protocol", arenaPath, "--json", "--fail-on", "info"]);
    expect(gated.code).toBe(report.findings.length > 0 ? ExitCode.findings : ExitCode.ok);
  });
});

describe("one-way delay from a client-side and a server-side capture", () => {
  it("fits clock offset and drift and reports each direction's delay within 1 ms of the simulator's truth", async () => {
    const match = simulateMatchToMemory(
      { seed: 21, players: 2, durationMs: 30_000, profile: "cable" },
      { clientCapture: { playerIds: [0], clockOffsetMs: 1_500, clockDriftPpm: 40 } },
    );
    const clientPath = join(directory, "client.pcapng");
    const serverPath = join(directory, "server.pcapng");
    writeFileSync(clientPath, match.clientPcapng!);
    writeFileSync(serverPath, match.pcapng);
    const run = await runInMemory(["latency", clientPath, "--server-capture", serverPath, "--protocol", arenaPath, "--json"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const oneWay = JSON.parse(run.stdout).oneWayDelay;
    expect(oneWay.matchedPackets).toBeGreaterThan(1000);
    for (const direction of ["clientToServer", "serverToClient"] as const) {
      const delays = match.truth.packets
        .filter((packet) => packet.playerId === 0 && packet.direction === direction && packet.arrivalUs !== null && !packet.duplicate)
        .map((packet) => (packet.arrivalUs! - packet.departUs) / 1000);
      const mean = delays.reduce((sum, value) => sum + value, 0) / delays.length;
      expect(Math.abs(oneWay[direction].mean - mean), direction).toBeLessThan(1);
    }
    const twoCaptures = await runInMemory(["latency", clientPath, serverPath, "--server-capture", serverPath, "--json"]);
    expect(twoCaptures.code).toBe(ExitCode.usage);
  }, 60_000);
});

describe("tickscope simulate and demo", () => {
  it("simulates a match to a capture plus truth, deterministically", async () => {
    const out = join(directory, "sim.pcapng");
    const args = ["simulate", "--players", "3", "--duration", "5s", "--tick", "20", "--profile", "fibre", "--seed", "3", "--out", out, "--truth", join(directory, "truth.json"), "--netem"];
    const run = await runInMemory(args);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain("netem");
    const first = readFileSync(out);
    await runInMemory(args);
    expect(readFileSync(out).equals(first)).toBe(true);
    expect(JSON.parse(readFileSync(join(directory, "truth.json"), "utf8")).format).toBe("tickscope-sim-truth");
    expect((await runInMemory(["simulate", "--players", "0", "--out", out])).code).toBe(ExitCode.usage);
  });

  it("demo simulates a match with injected problems, prints a readable report and leaves no temp files without --out", async () => {
    // a private temp root: the demo's capture must go to a fresh directory in it and be removed at exit
    const temporaryRoot = join(directory, "demo-tmp");
    mkdirSync(temporaryRoot);
    const previousTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = temporaryRoot;
    let run;
    try {
      run = await runInMemory(["demo"]);
    } finally {
      if (previousTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmpdir;
    }
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain("# tickscope report");
    expect(run.stdout).toContain("## Answers");
    expect(run.stderr).toContain("injected:");
    // a fresh mkdtemp directory (six random characters), not the fixed /tmp/tickscope-demo-<seed> of old
    // (a plain "not tickscope-demo-7" check failed whenever the random suffix began with a 7)
    const capturePath = /(\S*tickscope-demo-[^/\s]+)\/demo-match\.pcapng/.exec(run.stderr)?.[1];
    expect(capturePath, run.stderr).toMatch(new RegExp(`^${temporaryRoot.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/tickscope-demo-[A-Za-z0-9]{6}$`));
    // tsx (which loads the TypeScript sources in this test's analysis worker threads) keeps its
    // compile cache in $TMPDIR as tsx-<uid>; the built CLI runs plain JavaScript and has none.
    expect(readdirSync(temporaryRoot).filter((name) => !name.startsWith("tsx-"))).toEqual([]);
  }, 60_000);
});
