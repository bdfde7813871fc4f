import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasErrorCode, type TickscopeError } from "@tickscope/core";
import { parseConfig } from "./config-file.js";
import { parseLogMap } from "./log-map-file.js";
import { parseServerRegion } from "./options.js";
import { parseCheatsFile, parseProfileFile, parseRegionsFile } from "./simulate-inputs.js";
import { ExitCode } from "./run-cli.js";
import { runInMemory } from "./test-support/run.js";

const temporary = mkdtempSync(join(tmpdir(), "tickscope-input-"));

/** Runs `parse` and returns the E_INVALID_OPTION it must throw. */
function invalidOption(parse: () => unknown): TickscopeError {
  try {
    parse();
  } catch (error) {
    expect(hasErrorCode(error, "E_INVALID_OPTION"), String(error)).toBe(true);
    return error as TickscopeError;
  }
  throw new Error("expected E_INVALID_OPTION");
}

describe("--log-map validation (one TypeBox schema, JSON path in the error)", () => {
  const base = { format: "csv", timeField: "time", timeUnit: "ms" };

  it("accepts a complete mapping and keeps its values", () => {
    const mapping = parseLogMap(JSON.stringify({ ...base, clockOffsetUs: -5, delimiter: ";", valueFields: ["rtt"], labelFields: ["map"] }));
    expect(mapping).toMatchObject({ timeUnit: "ms", clockOffsetUs: -5, delimiter: ";" });
  });

  it.each([
    ["labelFields: 5", { ...base, labelFields: 5 }, "/labelFields"],
    ['delimiter: ""', { ...base, delimiter: "" }, "/delimiter"],
    ["a quote as delimiter", { ...base, delimiter: '"' }, "/delimiter"],
    ['timeUnit: "bogus"', { ...base, timeUnit: "bogus" }, "/timeUnit"],
    ['clockOffsetUs: "5"', { ...base, clockOffsetUs: "5" }, "/clockOffsetUs"],
    ["a missing timeField", { timeUnit: "ms" }, "/timeField"],
    ["an unknown key", { ...base, timeFeild: "t" }, "/timeFeild"],
    ["null", null, "/"],
    ["an array", [], "/"],
  ])("rejects %s naming %s", (_name, value, path) => {
    const error = invalidOption(() => parseLogMap(JSON.stringify(value)));
    expect(error.message).toContain(path);
    expect(error.fieldPath).toBe(path);
  });

  it("rejects text that is not JSON", () => {
    expect(invalidOption(() => parseLogMap("{")).message).toContain("not JSON");
  });

  it("names the enum members a field accepts", () => {
    expect(invalidOption(() => parseLogMap(JSON.stringify({ ...base, timeUnit: "bogus" }))).message).toContain('expected one of "s", "ms", "us", "ns", "iso"');
  });

  it("reaches the user as one E_INVALID_OPTION line with exit code 2 (analyze --log-map)", async () => {
    const map = join(temporary, "map.json");
    writeFileSync(map, JSON.stringify({ ...base, timeUnit: "bogus" }));
    const log = join(temporary, "server.log");
    writeFileSync(log, "time,event\n1,tick\n");
    const result = await runInMemory(["analyze", join(temporary, "none.pcap"), "--server-log", log, "--log-map", map]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(/^tickscope: E_INVALID_OPTION: log map '.*' \/timeUnit: /);
    expect(result.stderr.trim().split("\n")).toHaveLength(2);
  });
});

describe("config file validation", () => {
  it("accepts a complete, typed config", () => {
    const config = parseConfig(
      JSON.stringify({
        protocol: "p.json",
        serverPorts: [7777],
        only: ["latency", "regions"],
        formats: ["json", "md"],
        failOn: "high",
        analyses: {
          latency: { ack: { windowSize: 2048 }, spike: { marginMs: 30 } },
          loss: { vantagePoint: "client", confidence: 0.9 },
          bandwidth: { tolerances: { position: 0.01 }, mtuBytes: 1400 },
          anticheat: { speedhackWindowPoints: 30, tamperingCodes: ["E_DECRYPT_FAILED"] },
          regions: { comparison: { correction: "holm", placement: false, serverSites: { eu: "aws:eu-central-1" } } },
        },
      }),
    );
    expect((config.analyses?.anticheat as Record<string, unknown>).speedhackWindowPoints).toBe(30);
  });

  it.each([
    ['formats: ["constructor"]', { formats: ["constructor"] }, "/formats/0"],
    ["latency.ack: null", { analyses: { latency: { ack: null } } }, "/analyses/latency/ack"],
    ['anticheat.speedhackMinViolations: "abc"', { analyses: { anticheat: { speedhackMinViolations: "abc" } } }, "/analyses/anticheat/speedhackMinViolations"],
    ["anticheat.speedhackWindowPoints: 1e308", { analyses: { anticheat: { speedhackWindowPoints: 1e308 } } }, "/analyses/anticheat/speedhackWindowPoints"],
    ["latency.spike.marginMs as text", { analyses: { latency: { spike: { marginMs: "20" } } } }, "/analyses/latency/spike/marginMs"],
    ["latency.maxSessions as a fraction", { analyses: { latency: { maxSessions: 1.5 } } }, "/analyses/latency/maxSessions"],
    ["an unknown latency option", { analyses: { latency: { spikes: {} } } }, "/analyses/latency/spikes"],
    ["regions.lossWindow as text", { analyses: { regions: { lossWindow: "256" } } }, "/analyses/regions/lossWindow"],
    ["regions.comparison.correction unknown", { analyses: { regions: { comparison: { correction: "bonferroni" } } } }, "/analyses/regions/comparison/correction"],
    ["regions.rttSources (removed: core's one rule decides a session's RTT)", { analyses: { regions: { rttSources: ["echo"] } } }, "/analyses/regions/rttSources"],
    ["loss.vantagePoint unknown", { analyses: { loss: { vantagePoint: "moon" } } }, "/analyses/loss/vantagePoint"],
    ["a port out of range", { serverPorts: [70000] }, "/serverPorts/0"],
    ["an unknown analysis", { analyses: { telepathy: {} } }, "/analyses/telepathy"],
    ["null", null, "/"],
  ])("rejects %s naming %s", (_name, value, path) => {
    const error = invalidOption(() => parseConfig(JSON.stringify(value)));
    expect(error.message).toContain(path);
  });

  it("reaches the user as E_INVALID_OPTION with exit code 2 (analyze and the analysis subcommands)", async () => {
    const config = join(temporary, "bad.config.json");
    writeFileSync(config, JSON.stringify({ analyses: { anticheat: { speedhackMinViolations: "abc" } } }));
    for (const command of ["analyze", "anticheat"]) {
      const result = await runInMemory([command, join(temporary, "none.pcap"), "--config", config]);
      expect(result.code).toBe(ExitCode.usage);
      expect(result.stderr).toContain("E_INVALID_OPTION");
      expect(result.stderr).toContain("/analyses/anticheat/speedhackMinViolations");
      expect(result.stderr).not.toContain("internal error");
    }
  });
});

describe("command-line option values", () => {
  it("--server-region needs an IP address", () => {
    expect(parseServerRegion("eu=203.0.113.10")).toEqual({ name: "eu", value: "203.0.113.10" });
    expect(parseServerRegion("eu=2001:db8::1")).toEqual({ name: "eu", value: "2001:db8::1" });
    expect(invalidOption(() => parseServerRegion("eu=not-an-address")).message).toContain("not an IP address");
    invalidOption(() => parseServerRegion("eu=203.0.113.10:7777"));
  });

  it.each([
    [["analyze", "x.pcap", "--server-region", "eu=not-an-address"]],
    [["simulate", "--out", "x.pcapng", "--cheats", "-3"]],
    [["simulate", "--out", "x.pcapng", "--cheats", "11"]],
    [["simulate", "--out", "x.pcapng", "--duration", "99999999h"]],
    [["simulate", "--out", "x.pcapng", "--tick", "0"]],
    [["simulate", "--out", "x.pcapng", "--seed", ""]],
    [["watch", "x.pcap", "--window", "-1s"]],
    [["demo", "--seed", "../../etc"]],
    [["analyze", "x.pcap", "--fail-on", "urgent"]],
    [["analyze", "x.pcap", "--format", "constructor"]],
    [["analyze", "x.pcap", "--only", "telepathy"]],
  ])("%j exits 2 with E_INVALID_OPTION", async (args) => {
    const result = await runInMemory(args);
    expect(result.code, result.stderr).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(/^tickscope: E_(INVALID_OPTION|USAGE): /);
  });
});

describe("simulate input files", () => {
  it("accept the simulator's shapes", () => {
    expect(parseRegionsFile('[{"name":"eu","latitude":50,"longitude":8,"playerShare":1}]')).toHaveLength(1);
    expect(parseCheatsFile('[{"playerId":1,"kind":"speedhack","intensity":1.3}]')[0]!.kind).toBe("speedhack");
    expect(parseProfileFile('{"name":"x"}')).toEqual({ name: "x" });
  });

  it.each([
    ["regions", () => parseRegionsFile("5"), "/"],
    ["regions", () => parseRegionsFile("null"), "/"],
    ["regions", () => parseRegionsFile('[{"name":"eu","latitude":"50"}]'), "/0/latitude"],
    ["cheats", () => parseCheatsFile("null"), "/"],
    ["cheats", () => parseCheatsFile('[{"playerId":1,"kind":"nope"}]'), "/0/kind"],
    ["profile", () => parseProfileFile("null"), "/"],
    ["profile", () => parseProfileFile("[]"), "/"],
  ])("a bad %s file is E_INVALID_OPTION at %#", (_what, parse, path) => {
    expect(invalidOption(parse).fieldPath).toBe(path);
  });

  it("reach the user as exit code 2, never an internal error", async () => {
    const regions = join(temporary, "regions.json");
    writeFileSync(regions, "5");
    const result = await runInMemory(["simulate", "--out", join(temporary, "x.pcapng"), "--regions", regions]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(/^tickscope: E_INVALID_OPTION: regions file/);
  });
});
