import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-protocol-check-"));
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function write(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe("tickscope protocol check: errors a user can act on", () => {
  it("lists every problem, each with the nearest valid role, type or property", async () => {
    const definition = {
      name: "demo",
      body: { repeat: "untilEnd" },
      messages: [{ name: "a", id: 1, fields: [{ name: "t", type: "u32", role: "sendTim" }, { name: "x", type: "f33" }, { name: "y", type: "u8", role: "sequnce" }] }],
    };
    const path = write("typos.json", JSON.stringify(definition));
    const run = await runInMemory(["protocol", "check", path]);
    expect(run.code).toBe(ExitCode.unreadableInput);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`tickscope: E_DEFINITION_INVALID: 4 problems in '${path}':`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '  /messages/0/fields/0/role: "sendTim" is not a valid role; did you mean "sendTime"?',
        '  /messages/0/fields/1/type: "f33" is not a valid type; did you mean "f32"?',
        '  /messages/0/fields/2/role: "sequnce" is not a valid role; did you mean "sequence"?',
        expect.stringMatching(/^ {2}\/messages\/0\/id: unknown property "id" \(allowed: name, /),
      ].sort(),
    );
    expect(run.stderr).not.toContain("more problem");
    expect(run.stdout).toBe("");
  });

  it("escapes user text in each listed problem", async () => {
    const definition = { name: "demo", body: { repeat: "untilEnd" }, messages: [{ name: "a", fields: [{ name: "t", type: "u32", role: "send\nTime\u001b[2J" }, { name: "x", type: "f33" }] }] };
    const run = await runInMemory(["protocol", "check", write("evil\u001b.json", JSON.stringify(definition))]);
    expect(run.code).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toContain('"send\\nTime\\u001b[2J" is not a valid role');
    expect(run.stderr).toContain("evil\\e.json");
    expect(run.stderr).not.toMatch(CONTROL);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(3);
  });

  it("names the line and column of a JSON syntax error", async () => {
    const run = await runInMemory(["protocol", "check", write("syntax.json", '{ "name": "x",\n  "messages": [ ,\n] }')]);
    expect(run.code).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toBe('tickscope: E_DEFINITION_INVALID: not valid JSON: line 2, column 17: expected a value, found ","\nhint: fix the JSON syntax at line 2, column 17\n');
  });
});
