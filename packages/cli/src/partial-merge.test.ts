import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { isMergeableAnalyzer, TickscopeError } from "@tickscope/core";
import { parseProtocolDefinition } from "@tickscope/core/protocol";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { adapterFor } from "./analyses/registry.js";
import { ANALYSIS_NAMES, type AnalysisName } from "./analysis-section.js";
import { ExitCode } from "./exit-code.js";
import { mergePartialFiles, mergePartialReports } from "./merge-partials.js";
import { canonicalJson, decodePartialReport, encodePartialReport, readPartialFile, sha256Hex } from "./partial-file.js";
import type { PartialReport } from "./partial-report-schema.js";
import { writeReports } from "./report-output.js";
import { runAnalyze, type RunAnalyzeOptions } from "./run-analyze.js";
import { runInMemory } from "./test-support/run.js";
import { writePartialFile } from "./write-partial-file.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-partial-"));
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const arenaDefinition = parseProtocolDefinition(readFileSync(arenaPath, "utf8"));
const START_US = 1_767_225_600_000_000;
/** Six small matches, 20 s apart, each with its own server address and port (disjoint sessions). */
const capturePaths: string[] = [];
const silentStreams = { stdout: { write: () => true }, stderr: { write: () => true } };

/** The analyses whose analyzers can save and merge their state in this build (the rest are left out, and named in the test titles). */
function mergeableAnalyses(): AnalysisName[] {
  const context = { definition: arenaDefinition, regionOfSession: new Map(), sessions: [], clientLocations: new Map(), serverSites: {}, settings: {} };
  return ANALYSIS_NAMES.filter((name) => isMergeableAnalyzer(adapterFor(name).create(context)));
}
const MERGEABLE = mergeableAnalyses();

/** The options analyze records (as `tickscope analyze` without --fail-on, --server-log, --keys). */
function runOptions(paths: readonly string[], analyses: readonly AnalysisName[] = MERGEABLE): RunAnalyzeOptions {
  return {
    inputs: paths.map((path) => ({ path })),
    protocolPath: arenaPath,
    analyses,
    threads: 1,
    recordedOptions: { only: [...analyses], serverPorts: [], failOn: null, serverLog: null, serverLogEvents: 0, keyFile: null },
  };
}

/** Every file of a report directory, by name. */
function filesOf(out: string): Record<string, string> {
  return Object.fromEntries(readdirSync(out).sort().map((name) => [name, readFileSync(join(out, name), "utf8")]));
}

let outputCount = 0;
/** Writes json, md and csv reports of a result and returns them by file name. */
async function reportsOf(result: Parameters<typeof writeReports>[0]): Promise<Record<string, string>> {
  const out = join(directory, `out-${outputCount++}`);
  await writeReports(result, ["json", "md", "csv"], out, silentStreams);
  return filesOf(out);
}

/** Writes one partial per group and returns their paths. */
async function partialsOf(groups: readonly (readonly string[])[], tag: string): Promise<string[]> {
  const paths: string[] = [];
  for (const [index, group] of groups.entries()) {
    const path = join(directory, `${tag}-${index}.tspart`);
    await writePartialFile(runOptions(group), path);
    paths.push(path);
  }
  return paths;
}

/** Splits a pcapng file's packet blocks in two halves, in file (time) order; section and interface blocks go to both halves. */
function splitPcapng(bytes: Uint8Array): [Uint8Array, Uint8Array] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let packets = 0;
  for (let offset = 0; offset < bytes.length; offset += view.getUint32(offset + 4, true)) {
    const type = view.getUint32(offset, true);
    if (type === 6 || type === 3) packets += 1;
  }
  const cutIndex = Math.floor(packets / 2);
  const halves: Uint8Array[][] = [[], []];
  let packet = 0;
  for (let offset = 0; offset < bytes.length; ) {
    const type = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    const block = bytes.subarray(offset, offset + length);
    if (type === 6 || type === 3) halves[packet++ < cutIndex ? 0 : 1]!.push(block);
    else if (type === 0x0a0d0d0a || type === 1) for (const half of halves) half.push(block);
    else halves[packet < cutIndex ? 0 : 1]!.push(block);
    offset += length;
  }
  return [Buffer.concat(halves[0]!), Buffer.concat(halves[1]!)];
}

beforeAll(() => {
  for (let index = 0; index < 6; index++) {
    const match = simulateMatchToMemory({
      seed: 100 + index,
      players: 2 + (index % 3),
      durationMs: 3_000,
      tickRate: 20,
      profile: index % 2 === 0 ? "cable" : "4g",
      startUs: START_US + index * 20_000_000,
      regions: [{ name: "eu-central", serverAddress: `10.${20 + index}.0.1`, serverPort: 7000 + index, latitude: 50.1, longitude: 8.7 }],
    });
    const path = join(directory, `match-${index}.pcapng`);
    writeFileSync(path, match.pcapng);
    capturePaths.push(path);
  }
});

describe(`partial reports and merge (mergeable now: ${MERGEABLE.join(",") || "none"})`, () => {
  it("analyze --partial of one capture, merged alone, writes the reports analyze writes (JSON, markdown, CSV byte-identical)", async () => {
    const path = join(directory, "one.tspart");
    const summary = await writePartialFile(runOptions([capturePaths[0]!]), path);
    expect(summary.captures).toHaveLength(1);
    expect(summary.captures[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.analyses).toEqual(MERGEABLE);
    const merged = await mergePartialFiles([path]);
    expect(merged.skipped).toEqual([]);
    expect(await reportsOf(merged.result)).toEqual(await reportsOf(await runAnalyze(runOptions([capturePaths[0]!]))));
    // the file is gzip'd, versioned, and reads back as written
    const report = await readPartialFile(path);
    expect(report.format).toBe("tickscope-partial");
    expect(report.formatVersion).toBe(1);
    expect(report.protocol?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.analyses.map((saved) => saved.analysis)).toEqual(MERGEABLE);
  });

  it.runIf(MERGEABLE.length === ANALYSIS_NAMES.length)("a partial written by session-cut threads (2 and 3) merges to the report of one thread", async () => {
    const single = await reportsOf(await runAnalyze(runOptions([capturePaths[3]!])));
    for (const threads of [2, 3]) {
      const path = join(directory, `threads-${threads}.tspart`);
      const lines: string[] = [];
      await writePartialFile({ ...runOptions([capturePaths[3]!]), threads, threadCut: "sessions", onThreads: (line) => lines.push(line) }, path);
      expect(lines).toEqual([`${threads} threads: sessions split ${threads} ways (${MERGEABLE.join(",")} in each)`]);
      expect(await reportsOf((await mergePartialFiles([path])).result)).toEqual(single);
    }
  });

  it("property: random splits of six captures into groups, a partial per group, merged == one analyze over the files in the merge's order", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: capturePaths.length, maxLength: capturePaths.length }),
        fc.integer({ min: 0, max: 719 }),
        async (groupOf, permutationSeed) => {
          // files in a shuffled order, dealt into at most 4 groups (each group keeps that order)
          const order = [...capturePaths.keys()];
          let seed = permutationSeed;
          for (let index = order.length - 1; index > 0; index--) {
            const swap = seed % (index + 1);
            seed = Math.floor(seed / (index + 1));
            [order[index], order[swap]] = [order[swap]!, order[index]!];
          }
          const groups = [0, 1, 2, 3].map((group) => order.filter((_, position) => groupOf[position] === group).map((capture) => capturePaths[capture]!)).filter((group) => group.length > 0);
          const partials = await partialsOf(groups, `split-${runs++}`);
          const merged = await mergePartialFiles(partials);
          // the merge orders the partials by their first capture's time: analyze is given the files in that order
          const filesInOrder = merged.order.flatMap((name) => groups[partials.indexOf(name)]!);
          expect(merged.result.captures.map((capture) => capture.file)).toEqual(filesInOrder);
          expect(await reportsOf(merged.result)).toEqual(await reportsOf(await runAnalyze(runOptions(filesInOrder))));
        },
      ),
      { numRuns: 6, seed: 18 },
    );
  });

  it("a capture found in two partials (same content) is counted once; partials sharing only some captures are refused", async () => {
    const [first, again, both] = await partialsOf([[capturePaths[0]!], [capturePaths[0]!], [capturePaths[0]!, capturePaths[1]!]], "duplicate");
    const merged = await mergePartialFiles([first!, again!]);
    expect(merged.skipped).toEqual([{ name: again, reason: expect.stringContaining(`already counted from ${first}`) }]);
    expect(merged.result.captures).toHaveLength(1);
    expect(await reportsOf(merged.result)).toEqual(await reportsOf(await runAnalyze(runOptions([capturePaths[0]!]))));
    const overlapping = await mergePartialFiles([first!, both!]).catch((error: unknown) => error);
    expect(TickscopeError.isInstance(overlapping) && overlapping.code).toBe("E_PARTIAL_MISMATCH");
    expect((overlapping as Error).message).toContain("counted twice");
  });

  it("rotation: one match cut in two files by time; merge of a partial per file == analyze of both files (sessions listed once)", async () => {
    const match = simulateMatchToMemory({ seed: 7, players: 3, durationMs: 6_000, tickRate: 20, profile: "4g", startUs: START_US });
    const [head, tail] = splitPcapng(match.pcapng);
    const headPath = join(directory, "rotation-0.pcapng");
    const tailPath = join(directory, "rotation-1.pcapng");
    writeFileSync(headPath, head);
    writeFileSync(tailPath, tail);
    const partials = await partialsOf([[tailPath], [headPath]], "rotation");
    const merged = await mergePartialFiles(partials);
    expect(merged.order).toEqual([partials[1], partials[0]]);
    expect(merged.result.captures.map((capture) => capture.packets)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Math.min(...merged.result.captures.map((capture) => capture.packets))).toBeGreaterThan(100);
    const single = await runAnalyze(runOptions([headPath, tailPath]));
    // every session of the match once, with the packets of both files
    expect(merged.result.sessions).toEqual(single.sessions);
    expect(single.sessions).toHaveLength(3);
    expect(merged.result.captures).toEqual(single.captures);
    expect(merged.result.decodeAnomalies).toEqual(single.decodeAnomalies);
    expect(merged.result.otherTraffic).toEqual(single.otherTraffic);
    const whole = await runAnalyze(runOptions([join(directory, "rotation-whole.pcapng")].map((path) => (writeFileSync(path, match.pcapng), path))));
    expect(single.sessions.map((session) => [session.id, session.clientToServer, session.serverToClient])).toEqual(
      whole.sessions.map((session) => [session.id, session.clientToServer, session.serverToClient]),
    );
    // exact per analysis: counts, bytes and loss figures of the rotation equal one pass over both files
    const sectionOf = (result: typeof single, name: AnalysisName): unknown => result.sections.find((section) => section.analysis === name)?.report;
    for (const name of MERGEABLE) {
      const paths = [...differingPaths(sectionOf(merged.result, name), sectionOf(single, name))];
      console.log(`rotation cut, ${name}: ${paths.length === 0 ? "identical" : `differs at ${paths.join(", ")}`}`);
    }
    if (MERGEABLE.includes("loss")) expect(exactLossFigures(sectionOf(merged.result, "loss"))).toEqual(exactLossFigures(sectionOf(single, "loss")));
    if (MERGEABLE.includes("bandwidth")) expect(exactBandwidthFigures(sectionOf(merged.result, "bandwidth"))).toEqual(exactBandwidthFigures(sectionOf(single, "bandwidth")));
  });
});

/** The loss report's counts per stream (expected, received, lost, duplicates, reordered, late): what a rotation must keep exact. */
function exactLossFigures(report: unknown): unknown {
  const streams = (report as { sessions: Record<string, unknown>[] }).sessions;
  const keys = ["id", "direction", "channel", "messageType", "expected", "received", "lost", "duplicates", "captureDuplicates", "reordered", "late", "messageTypes"];
  return streams.map((stream) => Object.fromEntries(keys.map((key) => [key, stream[key]])));
}

/** JSON paths (array indices as []) whose values differ between two reports: what a rotation cut changes, for the test's log. */
function differingPaths(left: unknown, right: unknown, path = "", found = new Set<string>()): Set<string> {
  if (left !== null && right !== null && typeof left === "object" && typeof right === "object") {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) differingPaths((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], `${path}${Array.isArray(left) ? "[]" : `.${key}`}`, found);
  } else if (JSON.stringify(left) !== JSON.stringify(right)) found.add(path);
  return found;
}

/** The bandwidth report's packet and byte counts. */
function exactBandwidthFigures(report: unknown): unknown {
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (typeof value === "number" && !/^(packets|bytes|wireBytes|payloadBytes|messages|count)$/i.test(key) ? undefined : value)));
}

describe("hostile and mismatched partials", () => {
  let valid: PartialReport;
  let validPath: string;
  beforeAll(async () => {
    validPath = join(directory, "valid.tspart");
    await writePartialFile(runOptions([capturePaths[1]!]), validPath);
    valid = await readPartialFile(validPath);
  });

  const hostile = (name: string, bytes: Uint8Array): string => {
    const path = join(directory, name);
    writeFileSync(path, bytes);
    return path;
  };
  const gzipJson = (value: unknown): Uint8Array => gzipSync(Buffer.from(JSON.stringify(value)));

  it.each([
    ["truncated gzip", () => readFileSync(validPath).subarray(0, 40), /not a gzip'd partial report/],
    ["random bytes", () => Uint8Array.from({ length: 300 }, (_, index) => (index * 7919 + 13) & 0xff), /not a gzip'd partial report/],
    ["empty file", () => new Uint8Array(0), /not a gzip'd partial report/],
    ["gzip of text", () => gzipSync(Buffer.from("hello, not json")), /not JSON inside the gzip/],
    ["gzip of an array", () => gzipJson([1, 2, 3]), /not a tickscope partial report/],
    ["gzip of a report of another format", () => gzipJson({ format: "tickscope-report", formatVersion: 1 }), /not a tickscope partial report/],
    ["a newer formatVersion", () => gzipJson({ ...valid, formatVersion: 2 }), /partial format version 2; this build reads version 1/],
    ["a wrong field type", () => gzipJson({ ...valid, captures: [{ ...valid.captures[0], packets: "many" }] }), /malformed partial report at \/captures\/0\/packets/],
    ["a missing field", () => gzipJson({ ...valid, sessions: undefined }), /malformed partial report at \/sessions/],
    ["hashes not matching the captures", () => gzipJson({ ...valid, captureSha256: [] }), /1 capture\(s\) but 0 hash/],
    ["a definition changed after hashing", () => gzipJson({ ...valid, protocol: { ...valid.protocol, definition: { ...(valid.protocol!.definition as object), name: "changed" } } }), /does not match its recorded hash/],
    ["states out of the analyses' order", () => gzipJson({ ...valid, run: { ...valid.run, analyses: [...valid.run.analyses].reverse().concat(["latency"]) } }), /states of .* for analyses/],
  ])("%s: E_BAD_PARTIAL naming the file, exit code 3, no crash", async (name, bytes, message) => {
    const path = hostile(`${name.replaceAll(" ", "-")}.tspart`, bytes());
    expect(() => decodePartialReport(readFileSync(path), path)).toThrow(message);
    const run = await runInMemory(["merge", path, "--format", "json"]);
    expect(run.code, run.stderr).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toMatch(new RegExp(`^tickscope: E_BAD_PARTIAL: ${path.replaceAll("/", "\\/").replaceAll(".", "\\.")}: `));
    expect(run.stdout).toBe("");
  });

  it("a missing partial is E_IO; no partial at all is a usage error", async () => {
    const missing = await runInMemory(["merge", join(directory, "missing.tspart")]);
    expect(missing.code).toBe(ExitCode.unreadableInput);
    expect(missing.stderr).toMatch(/^tickscope: E_IO: cannot read partial/);
    expect((await runInMemory(["merge"])).code).toBe(ExitCode.usage);
  });

  it.runIf(MERGEABLE.length > 0)("a state that is not its analysis's (another analysis's, or garbage) is E_BAD_PARTIAL, never half-merged", async () => {
    const garbage = { ...valid, analyses: valid.analyses.map((saved, index) => (index === 0 ? { ...saved, state: { nonsense: true } } : saved)) };
    expect(() => mergePartialReports([{ name: "garbage.tspart", report: garbage }])).toThrow(/E_BAD_PARTIAL|garbage\.tspart/);
    const error = (() => {
      try {
        mergePartialReports([{ name: "garbage.tspart", report: garbage }]);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(TickscopeError.isInstance(error) && error.code).toBe("E_BAD_PARTIAL");
    if (MERGEABLE.length >= 2) {
      // the first analysis's state given to the second
      const swapped = { ...valid, analyses: valid.analyses.map((saved, index) => (index === 1 ? { ...saved, state: valid.analyses[0]!.state, stateVersion: valid.analyses[0]!.stateVersion } : saved)) };
      const path = hostile("swapped-state.tspart", encodePartialReport(swapped));
      const run = await runInMemory(["merge", path, "--format", "json"]);
      expect(run.code, run.stderr).toBe(ExitCode.unreadableInput);
      expect(run.stderr).toMatch(/^tickscope: E_(BAD_PARTIAL|PARTIAL_MISMATCH): /);
    }
  });

  it("partials of different definitions, analyses or settings are E_PARTIAL_MISMATCH naming what differs", async () => {
    const other = { ...valid, captureSha256: ["0".repeat(64)] };
    const otherDefinition = { ...(valid.protocol!.definition as object), name: "arena-v2" };
    const otherDefinitionHash = sha256Hex(canonicalJson(otherDefinition));
    const cases: [string, PartialReport, RegExp][] = [
      ["definition", { ...other, run: { ...other.run, protocolSha256: otherDefinitionHash }, protocol: { sha256: otherDefinitionHash, definition: otherDefinition } }, /differ in protocol definition/],
      ["no definition", { ...other, run: { ...other.run, protocolSha256: null }, protocol: null }, /differ in protocol definition/],
      ["analyses", { ...other, run: { ...other.run, analyses: [] }, analyses: [] }, /differ in analyses/],
      ["settings", { ...other, run: { ...other.run, settings: { loss: { burstGapMs: 1 } } } }, /differ in settings of loss: \{"burstGapMs":1\} vs null/],
      ["server ports", { ...other, run: { ...other.run, serverPorts: [7777] } }, /differ in serverPorts/],
    ];
    for (const [name, changed, message] of cases) {
      const path = hostile(`mismatch-${name}.tspart`, encodePartialReport(changed));
      const run = await runInMemory(["merge", validPath, path, "--format", "json"]);
      expect(run.code, `${name}: ${run.stderr}`).toBe(ExitCode.unreadableInput);
      expect(run.stderr).toMatch(/^tickscope: E_PARTIAL_MISMATCH: /);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe("tickscope merge and analyze --partial on the command line", () => {
  it.runIf(MERGEABLE.length > 0)("analyze --partial writes no report by default; merge writes the one analyze writes, and says when it skips a partial", async () => {
    const only = MERGEABLE.join(",");
    const partial = join(directory, "cli.tspart");
    const written = await runInMemory(["analyze", capturePaths[2]!, "--protocol", arenaPath, "--only", only, "--partial", partial, "--threads", "1"]);
    expect(written.code, written.stderr).toBe(ExitCode.ok);
    expect(written.stdout).toBe("");
    expect(written.stderr).toMatch(/^wrote partial .*cli\.tspart \(1 capture\(s\), \d+ session\(s\)/);
    const copy = join(directory, "cli-copy.tspart");
    writeFileSync(copy, readFileSync(partial));
    const mergedOut = join(directory, "cli-merged");
    const merged = await runInMemory(["merge", partial, copy, "--format", "json,md,csv", "--out", mergedOut]);
    expect(merged.code, merged.stderr).toBe(ExitCode.ok);
    // the same first capture time: the name decides which one counts
    expect(merged.stderr).toContain(`merge: ${partial} skipped: its 1 capture(s) were already counted from ${copy} (same content)`);
    const analyzedOut = join(directory, "cli-analyzed");
    const analyzed = await runInMemory(["analyze", capturePaths[2]!, "--protocol", arenaPath, "--only", only, "--format", "json,md,csv", "--out", analyzedOut, "--threads", "1"]);
    expect(analyzed.code, analyzed.stderr).toBe(ExitCode.ok);
    expect(filesOf(mergedOut)).toEqual(filesOf(analyzedOut));
  });

  it.runIf(MERGEABLE.length > 0)("analyze --partial with --format writes the partial and the report analyze writes", async () => {
    const only = MERGEABLE.join(",");
    const partial = join(directory, "both.tspart");
    const both = await runInMemory(["analyze", capturePaths[4]!, "--protocol", arenaPath, "--only", only, "--partial", partial, "--format", "json", "--threads", "1"]);
    const plain = await runInMemory(["analyze", capturePaths[4]!, "--protocol", arenaPath, "--only", only, "--format", "json", "--threads", "1"]);
    expect(both.code, both.stderr).toBe(ExitCode.ok);
    expect(both.stdout).toBe(plain.stdout);
    expect((await readPartialFile(partial)).captures[0]!.file).toBe(capturePaths[4]);
  });

  it("tickscope schema partial prints the partial report's JSON Schema", async () => {
    const run = await runInMemory(["schema", "partial"]);
    expect(run.code).toBe(ExitCode.ok);
    const schema = JSON.parse(run.stdout);
    expect(schema.properties.format.const).toBe("tickscope-partial");
    expect(schema.properties.formatVersion.const).toBe(1);
    expect(schema.required).toEqual(expect.arrayContaining(["captures", "captureSha256", "sessions", "analyses", "run"]));
  });

  it("an analysis that cannot save its state is named (E_INVALID_OPTION)", async () => {
    const unmergeable = ANALYSIS_NAMES.filter((name) => !MERGEABLE.includes(name));
    if (unmergeable.length === 0) return;
    const run = await runInMemory(["analyze", capturePaths[0]!, "--protocol", arenaPath, "--only", unmergeable.join(","), "--partial", join(directory, "never.tspart")]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain(`cannot save the state of ${unmergeable.join(", ")}`);
  });
});

mkdirSync(directory, { recursive: true });
