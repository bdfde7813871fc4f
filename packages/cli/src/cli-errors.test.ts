import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

const temporary = mkdtempSync(join(tmpdir(), "tickscope-errors-"));
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 0);
}

describe("errors are one line with a stable code", () => {
  it.each([
    [["analyze", "--bogus"], "unknown option '--bogus'", "tickscope analyze --help"],
    [["analyze", "x.pcap", "--fail-on"], "argument missing", "tickscope analyze --help"],
    [["frobnicate"], "unknown command 'frobnicate'", "tickscope --help"],
    [["protocol", "check"], "missing required argument", "tickscope protocol check --help"],
    [["simulate"], "required option '--out <file.pcapng>' not specified", "tickscope simulate --help"],
    [["analyze"], "give at least one capture", "tickscope analyze --help"],
  ])("%j → E_USAGE, exit 2, a hint and no help dump", async (args, message, hint) => {
    const result = await runInMemory(args);
    expect(result.code).toBe(ExitCode.usage);
    const [first, second, ...rest] = lines(result.stderr);
    expect(first).toMatch(/^tickscope: E_USAGE: /);
    expect(first).toContain(message);
    expect(second).toBe(`hint: see \`${hint}\``);
    expect(rest).toEqual([]);
    expect(result.stdout).toBe("");
  });

  it("a definition type name with a newline and ESC cannot forge a second line or reach the terminal raw", async () => {
    const definition = join(temporary, "evil.json");
    const arena = JSON.parse(readFileSync(new URL("../../../examples/protocols/arena.json", import.meta.url), "utf8")) as { types?: Record<string, unknown> };
    arena.types = { ...arena.types, "bad\ntickscope: E_FAKE: forged\u001b[2J": [{ name: "a", type: "u8" }] };
    writeFileSync(definition, JSON.stringify(arena));
    const result = await runInMemory(["protocol", "check", definition]);
    expect(result.code).toBe(ExitCode.unreadableInput);
    const errorLines = lines(result.stderr);
    expect(errorLines.length).toBeLessThanOrEqual(2);
    expect(errorLines.filter((line) => line.startsWith("tickscope:"))).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^tickscope: E_DEFINITION_INVALID: /);
    expect(errorLines[0]).toContain("bad\\ntickscope: E_FAKE: forged\\e[2J");
    expect(result.stderr).not.toMatch(CONTROL);
  });

  it("a valid definition whose names carry control characters is listed escaped", async () => {
    const arena = JSON.parse(readFileSync(new URL("../../../examples/protocols/arena.json", import.meta.url), "utf8")) as { description?: string };
    arena.description = "line one\nline two \u001b[31mred";
    const definition = join(temporary, "described.json");
    writeFileSync(definition, JSON.stringify(arena));
    const result = await runInMemory(["protocol", "check", definition]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stdout).not.toContain("\u001b");
  });

  it("a path with control characters is escaped in the error", async () => {
    const result = await runInMemory(["inspect", join(temporary, "no\nsuch\u001b.pcap")]);
    expect(result.code).toBe(ExitCode.unreadableInput);
    expect(lines(result.stderr)[0]).toContain("no\\nsuch\\e.pcap");
    expect(result.stderr).not.toMatch(CONTROL);
  });
});

describe("errors that escape a command", () => {
  async function runWithFailingStdout(failure: Error, args: string[]): Promise<{ code: number; stderr: string }> {
    const { runCli } = await import("./run-cli.js");
    let stderr = "";
    const code = await runCli(args, {
      stdout: {
        write: () => {
          throw failure;
        },
      },
      stderr: { write: (chunk: string) => (stderr += chunk) },
    });
    return { code, stderr };
  }

  it("a Node file-system error (EPIPE on stdout) is E_IO with exit code 3", async () => {
    const result = await runWithFailingStdout(Object.assign(new Error("broken pipe"), { code: "EPIPE", syscall: "write" }), ["schema", "report"]);
    expect(result.code).toBe(ExitCode.unreadableInput);
    expect(result.stderr).toBe("tickscope: E_IO: cannot write: EPIPE\nhint: check the path and permissions\n");
  });

  it("anything else is one escaped 'internal error' line and a hint, the stack only with --verbose", async () => {
    const quiet = await runWithFailingStdout(new Error("boom\nforged"), ["schema", "report"]);
    expect(quiet.code).toBe(ExitCode.unreadableInput);
    expect(lines(quiet.stderr)).toEqual(["tickscope: internal error: boom\\nforged", "hint: rerun with --verbose and report this as a bug"]);
    const verbose = await runWithFailingStdout(new Error("boom"), ["--verbose", "schema", "report"]);
    expect(verbose.stderr).toContain("    at ");
  });
});
