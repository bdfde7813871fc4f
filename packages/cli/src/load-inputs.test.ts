import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTextFile, readTextFileSync } from "./load-inputs.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-load-inputs-"));

describe("reading an input's text", () => {
  it("gives the text, or one E_IO naming the file and what it is, whether read with or without a promise", async () => {
    const path = join(directory, "keys.json");
    writeFileSync(path, '{"keys": []}');
    expect(await readTextFile(path, "key file")).toBe('{"keys": []}');
    expect(readTextFileSync(path, "key file")).toBe('{"keys": []}');
    const missing = join(directory, "gone.json");
    const expected = { code: "E_IO", message: `cannot read key file '${missing}': ENOENT`, hint: "check the path and permissions" };
    await expect(readTextFile(missing, "key file")).rejects.toMatchObject(expected);
    expect(() => readTextFileSync(missing, "key file")).toThrow(expect.objectContaining(expected));
  });
});
