import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { hasErrorCode } from "../errors.js";
import { parseKeyFile } from "./key-file.js";
import { validateProtocolDefinition } from "./validate.js";

describe("hex keys of any length end in a clear error, not a regular-expression stack overflow", () => {
  it("parses ordinary key lines", () => {
    const store = parseKeyFile("# keys\n* both 00112233445566778899AABBCCDDEEFF\nudp:1 clientToServer abcd\n");
    expect(store.size).toBe(3);
    expect(store.lookup("udp:1", "clientToServer")).toEqual(Uint8Array.of(0xab, 0xcd));
  });

  it.each(["* both abc", "* both zz", "* both", "* sideways 00", "* both 00 extra"])("rejects %j naming the line", (line) => {
    try {
      parseKeyFile(`\n${line}`);
      throw new Error("expected E_INVALID_OPTION");
    } catch (error) {
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
      expect((error as Error).message).toContain("line 2");
    }
  });

  it("an 8 M-character key line is E_INVALID_OPTION saying how long the key is", () => {
    try {
      parseKeyFile(`* both ${"ab".repeat(4_000_000)}`);
      throw new Error("expected E_INVALID_OPTION");
    } catch (error) {
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
      expect((error as Error).message).toContain("8000000 hex characters");
    }
  });

  it("a 10 M-character inline key in a definition is E_DEFINITION_INVALID, naming the key", () => {
    const read = (name: string) => JSON.parse(readFileSync(new URL(`../../../../examples/protocols/${name}`, import.meta.url), "utf8")) as Record<string, any>;
    const netcode = read("netcode.json");
    netcode.transforms[0].keys = { both: "ab".repeat(5_000_000) };
    const firefall = read("firefall.json");
    const xor = JSON.stringify(firefall).replace('"keys":{"1":"ff"', `"keys":{"1":"${"ab".repeat(5_000_000)}"`);
    for (const hostile of [netcode, JSON.parse(xor)]) {
      try {
        validateProtocolDefinition(hostile);
        throw new Error("expected E_DEFINITION_INVALID");
      } catch (error) {
        expect(hasErrorCode(error, "E_DEFINITION_INVALID"), String(error).slice(0, 300)).toBe(true);
        expect((error as Error).message).toMatch(/keys/);
      }
    }
  });
});
