import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasErrorCode } from "@tickscope/core";
import { writeReports } from "./report-output.js";
import { ExitCode } from "./run-cli.js";
import { sampleAnalyzeResult } from "./test-support/sample-result.js";
import { ensureOutputDirectory, writeFilesAtomically } from "./write-files-atomically.js";

const temporary = mkdtempSync(join(tmpdir(), "tickscope-out-"));
const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

async function expectIo(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(hasErrorCode(error, "E_IO"), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected E_IO");
}

describe("report files are written all or none", () => {
  it("writes every file and leaves no temporary file", async () => {
    const directory = join(temporary, "ok");
    const written = await writeReports(sampleAnalyzeResult(), ["json", "md"], directory, silent);
    expect(written.map((path) => path.slice(directory.length + 1)).sort()).toEqual(["report.json", "report.md"]);
    expect(readdirSync(directory).sort()).toEqual(["report.json", "report.md"]);
    expect(JSON.parse(readFileSync(join(directory, "report.json"), "utf8")).toolVersion).toBeDefined();
  });

  it("when one file cannot be written, none is, the old ones stay, and the error is E_IO", async () => {
    const directory = join(temporary, "blocked");
    mkdirSync(join(directory, "report.md"), { recursive: true });
    writeFileSync(join(directory, "report.json"), "old");
    const message = await expectIo(() => writeReports(sampleAnalyzeResult(), ["json", "md"], directory, silent));
    expect(message).toContain("report.md");
    expect(readdirSync(directory).sort()).toEqual(["report.json", "report.md"]);
    expect(readFileSync(join(directory, "report.json"), "utf8")).toBe("old");
  });

  it("an unwritable directory removes what was written", async () => {
    const directory = join(temporary, "gone");
    mkdirSync(directory);
    const message = await expectIo(() =>
      writeFilesAtomically([
        { path: join(directory, "a.txt"), text: "a" },
        { path: join(directory, "missing", "b.txt"), text: "b" },
      ]),
    );
    expect(message).toContain("ENOENT");
    expect(readdirSync(directory)).toEqual([]);
  });

  it("--out on an existing file, on /proc and with a 300-character name is E_IO", async () => {
    const file = join(temporary, "a-file");
    writeFileSync(file, "x");
    expect(await expectIo(() => ensureOutputDirectory(file))).toContain("a-file");
    await expectIo(() => writeReports(sampleAnalyzeResult(), ["json"], "/proc", silent));
    await expectIo(() => writeReports(sampleAnalyzeResult(), ["json"], join(temporary, "n".repeat(300)), silent));
  });

  it("an unknown format name is refused, even one that is an Object property", async () => {
    try {
      await writeReports(sampleAnalyzeResult(), ["constructor"], temporary, silent);
      throw new Error("expected E_INVALID_OPTION");
    } catch (error) {
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
  });

  it("a Node file-system error escaping a command is E_IO, exit code 3", async () => {
    const { runInMemory } = await import("./test-support/run.js");
    const result = await runInMemory(["protocol", "check", temporary]);
    expect(result.code).toBe(ExitCode.unreadableInput);
    expect(result.stderr).toMatch(/^tickscope: E_IO: /);
  });
});
