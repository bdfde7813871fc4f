import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { repositoryRoot } from "@tickscope-test/support";
import { simulateMatchToMemory } from "@tickscope/sim";
import { ExitCode } from "./exit-code.js";
import { encodePartialReport, readPartialFile } from "./partial-file.js";
import type { PartialReport } from "./partial-report-schema.js";
import { runInMemory, type CliRun } from "./test-support/run.js";

// Hostile partials beyond partial-merge.test.ts's (issue 18): schema-valid files whose numbers are absurd, a gzip
// bomb, a partial counting 2^53 packets, 100k sessions, another tool version. Each: a stable E_ code and exit code
// (or a merge that completes), never an internal error, within a time bound.
const directory = mkdtempSync(join(tmpdir(), "tickscope-partial-hostile-"));
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const START_US = 1_767_225_600_000_000;
let validPath = "";
let laterPath = "";
let valid: PartialReport;

beforeAll(async () => {
  for (const [index, name] of ["valid", "later"].entries()) {
    const match = simulateMatchToMemory({ seed: 40 + index, players: 2, durationMs: 2_000, tickRate: 20, profile: "cable", startUs: START_US + index * 10_000_000 });
    const capture = join(directory, `${name}.pcapng`);
    writeFileSync(capture, match.pcapng);
    const partial = join(directory, `${name}.tspart`);
    const run = await runInMemory(["analyze", capture, "--protocol", arenaPath, "--partial", partial, "--threads", "1"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    if (index === 0) validPath = partial;
    else laterPath = partial;
  }
  valid = await readPartialFile(validPath);
}, 300_000);

const write = (name: string, bytes: Uint8Array): string => {
  const path = join(directory, name);
  writeFileSync(path, bytes);
  return path;
};

/** Runs `merge … --format json`, timing it. */
async function timedMerge(paths: readonly string[]): Promise<CliRun & { seconds: number }> {
  const started = process.hrtime.bigint();
  const run = await runInMemory(["merge", ...paths, "--format", "json"]);
  return { ...run, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** A refused merge: the given E_ code first on stderr, exit code 3, nothing on stdout, no internal error. */
function expectRefused(run: CliRun, code: RegExp): void {
  expect(run.stderr).not.toContain("internal error");
  expect(run.code, run.stderr).toBe(ExitCode.unreadableInput);
  expect(run.stderr).toMatch(code);
  expect(run.stdout).toBe("");
}

/** The JSON paths of every number in a value (objects and arrays walked). */
function numberPaths(value: unknown, path: (string | number)[] = [], found: (string | number)[][] = []): (string | number)[][] {
  if (typeof value === "number") found.push(path);
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) numberPaths(item, [...path, Array.isArray(value) ? Number(key) : key], found);
  return found;
}

/** A deep copy of `value` with the item at `path` replaced. */
function replaced<T>(value: T, path: readonly (string | number)[], item: unknown): T {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = item;
  return copy as T;
}

describe("hostile partials: absurd numbers in schema-valid states", () => {
  it("every analysis: the first, a middle and the last number of its state made negative, NaN (a string) or 1e308 — refused E_BAD_PARTIAL or merged, never an internal error", async () => {
    const outcomes: string[] = [];
    for (const [analysisIndex, saved] of valid.analyses.entries()) {
      const paths = numberPaths(saved.state);
      const picked = [...new Set([0, Math.floor(paths.length / 2), paths.length - 1])].filter((index) => paths[index] !== undefined).map((index) => paths[index]!);
      for (const path of picked) {
        for (const [label, item] of [["-5", -5], ['"NaN"', "NaN"], ["1e308", 1e308]] as const) {
          const state = replaced(saved.state, path, item);
          const report = { ...valid, analyses: valid.analyses.map((other, index) => (index === analysisIndex ? { ...other, state } : other)) };
          const name = `absurd-${saved.analysis}-${outcomes.length}.tspart`;
          const run = await timedMerge([write(name, encodePartialReport(report as PartialReport))]);
          expect(run.stderr, `${saved.analysis} ${path.join("/")} = ${label}`).not.toContain("internal error");
          expect([ExitCode.ok, ExitCode.unreadableInput, ExitCode.findings], `${saved.analysis} ${path.join("/")} = ${label}: ${run.stderr}`).toContain(run.code);
          if (run.code === ExitCode.unreadableInput) expect(run.stderr).toMatch(/^tickscope: E_(BAD_PARTIAL|PARTIAL_MISMATCH): /);
          else {
            // merged: the report must still be JSON without NaN/Infinity text
            expect(run.stdout).not.toMatch(/\bNaN\b|Infinity|undefined/);
          }
          outcomes.push(`${saved.analysis} /${path.join("/")} = ${label}: ${run.code === ExitCode.unreadableInput ? run.stderr.split("\n")[0]!.slice(0, 120) : `merged (exit ${run.code})`}`);
        }
      }
    }
    console.log(`absurd numbers in states:\n  ${outcomes.join("\n  ")}`);
  }, 600_000);

  it("a capture of 2^53 packets (later partials' packet indices past Number.MAX_SAFE_INTEGER): E_BAD_PARTIAL, not silently rounded indices", async () => {
    const report = { ...valid, captures: [{ ...valid.captures[0]!, packets: 2 ** 53 + 2 }] };
    const huge = write("huge-packets.tspart", encodePartialReport(report));
    const run = await timedMerge([huge, laterPath]);
    console.log(`2^53 packets: exit ${run.code}, ${run.stderr.split("\n")[0]} (${run.seconds.toFixed(1)} s)`);
    expectRefused(run, /^tickscope: E_BAD_PARTIAL: /);
    // the file with the absurd count is named, not the later partial whose indices it would push past 2^53
    expect(run.stderr).toContain(`E_BAD_PARTIAL: ${huge}: its captures' packet counts`);
  }, 120_000);

  it("negative packet and byte counts of a capture: E_BAD_PARTIAL", async () => {
    for (const [field, item] of [["packets", -1], ["bytes", -100]] as const) {
      if (!(field in valid.captures[0]!)) continue;
      const path = write(`negative-${field}.tspart`, encodePartialReport({ ...valid, captures: [{ ...valid.captures[0]!, [field]: item }] }));
      expectRefused(await timedMerge([path]), /^tickscope: E_BAD_PARTIAL: /);
    }
  }, 120_000);

  it("100,000 sessions in a small file: the merge ends within 120 s (or is refused with E_BAD_PARTIAL)", async () => {
    const session = valid.sessions[0]!;
    const sessions = Array.from({ length: 100_000 }, (_, index) => ({ ...session, id: `${session.id}#${index}` }));
    const bytes = encodePartialReport({ ...valid, sessions });
    const path = write("many-sessions.tspart", bytes);
    const run = await timedMerge([path]);
    console.log(`100k sessions (${bytes.length} bytes gzip'd): exit ${run.code}, ${run.stderr.split("\n")[0] ?? ""} in ${run.seconds.toFixed(1)} s`);
    expect(run.stderr).not.toContain("internal error");
    expect(run.seconds).toBeLessThan(120);
    if (run.code === ExitCode.unreadableInput) expect(run.stderr).toMatch(/^tickscope: E_(BAD_PARTIAL|PARTIAL_MISMATCH): /);
  }, 300_000);
});

describe("hostile partials: files", () => {
  it("a gzip bomb (1.1 MB that inflates to 1.06 GB of JSON whitespace): E_BAD_PARTIAL, refused at the decompression bound", async () => {
    // concatenated gzip members: a partial's opening, 16 × 64 MiB of spaces (valid JSON whitespace), the rest
    const spaces = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    const opening = gzipSync(Buffer.from('{"format":"tickscope-partial","formatVersion":1,'));
    const bomb = Buffer.concat([opening, ...Array.from({ length: 16 }, () => spaces), gzipSync(Buffer.from('"end":true}'))]);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const path = write("bomb.tspart", bomb);
    const run = await timedMerge([path]);
    console.log(`gzip bomb ${bomb.length} bytes -> ${16 * 64} MiB: exit ${run.code}, ${run.stderr.split("\n")[0]} in ${run.seconds.toFixed(1)} s`);
    expectRefused(run, /^tickscope: E_BAD_PARTIAL: .*decompresses to more than \d+ bytes/);
    expect(run.seconds).toBeLessThan(120);
  }, 300_000);

  it("the same capture's partial under two names, and twice by the same name: counted once", async () => {
    const copy = write("valid-renamed.tspart", encodePartialReport(valid));
    const once = await timedMerge([validPath]);
    for (const paths of [[validPath, copy], [copy, validPath], [validPath, validPath]]) {
      const run = await timedMerge(paths);
      expect(run.code, run.stderr).toBe(once.code);
      expect(run.stdout).toBe(once.stdout);
      expect(run.stderr).toMatch(/skipped: its 1 capture\(s\) were already counted from/);
    }
  }, 120_000);

  it("a partial written by another tool version (same format and state versions): merged, and the version it was written by is not hidden", async () => {
    const other = write("other-version.tspart", encodePartialReport({ ...valid, toolVersion: "0.0.0-other" }));
    const run = await timedMerge([other, laterPath]);
    console.log(`another tool version: exit ${run.code}, ${run.stderr.split("\n")[0] ?? ""}`);
    expect(run.stderr).not.toContain("internal error");
    expect([ExitCode.ok, ExitCode.findings, ExitCode.unreadableInput]).toContain(run.code);
  }, 120_000);
});
