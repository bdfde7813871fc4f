import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasErrorCode } from "@tickscope/core";
import { commitMatchOutputs, discardMatchOutputs, matchOutputFiles, writeMatchCapture } from "./write-match-capture.js";
import { temporaryPathOf } from "./pending-files.js";

const small = { seed: 3, players: 2, durationMs: 1_000, tickRate: 20 };

describe("match outputs are complete or absent", () => {
  it("writes under temporary names and renames every file at the end", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-sim-out-"));
    const paths = { out: join(directory, "m.pcapng"), truth: join(directory, "t.json"), serverLog: join(directory, "s.ndjson") };
    writeMatchCapture(small, paths);
    expect(readdirSync(directory).sort()).toEqual(["m.pcapng", "s.ndjson", "t.json"]);
    expect(JSON.parse(readFileSync(paths.truth, "utf8")).summary).toBeDefined();
  });

  it("a failing output removes the others' temporary files and is E_IO", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-sim-out-"));
    try {
      writeMatchCapture(small, { out: join(directory, "m.pcapng"), truth: join(directory, "missing", "t.json") });
      throw new Error("expected E_IO");
    } catch (error) {
      expect(hasErrorCode(error, "E_IO"), String(error)).toBe(true);
      expect((error as Error).message).toContain(join(directory, "missing", "t.json"));
    }
    expect(readdirSync(directory)).toEqual([]);
  });

  it("a directory where a file should go is refused before anything is renamed", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-sim-out-"));
    mkdirSync(join(directory, "t.json"));
    expect(() => writeMatchCapture(small, { out: join(directory, "m.pcapng"), truth: join(directory, "t.json") })).toThrow(/directory/);
    expect(readdirSync(directory)).toEqual(["t.json"]);
  });

  it("the same path for two outputs is refused", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-sim-out-"));
    const same = join(directory, "x");
    expect(() => writeMatchCapture(small, { out: same, truth: same })).toThrow(/same file/);
  });

  it("deferCommit leaves the files for the caller to commit or discard", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-sim-out-"));
    const paths = { out: join(directory, "m.pcapng"), truth: join(directory, "t.ndjson"), clientCapture: { path: join(directory, "c.pcapng") }, serverCapture: join(directory, "s.pcapng") };
    expect(matchOutputFiles(paths)).toHaveLength(4);
    writeMatchCapture(small, { ...paths, temporaryToken: "test", deferCommit: true });
    expect(existsSync(paths.out)).toBe(false);
    expect(existsSync(temporaryPathOf(paths.out, "test"))).toBe(true);
    commitMatchOutputs(paths, "test");
    expect(readdirSync(directory).sort()).toEqual(["c.pcapng", "m.pcapng", "s.pcapng", "t.ndjson"]);
    writeMatchCapture(small, { ...paths, temporaryToken: "again", deferCommit: true });
    discardMatchOutputs(paths, "again");
    expect(readdirSync(directory).sort()).toEqual(["c.pcapng", "m.pcapng", "s.pcapng", "t.ndjson"]);
  });

  it("long names keep their temporary sibling under the file-name limit", () => {
    const long = join("/tmp", `${"n".repeat(250)}.pcapng`);
    const temporary = temporaryPathOf(long, "12345-abc");
    expect(temporary.length - "/tmp/".length).toBeLessThan(255);
    expect(temporaryPathOf(join("/tmp", `${"n".repeat(249)}x.pcapng`), "1")).not.toBe(temporaryPathOf(long, "1"));
  });
});
