import { describe, expect, it } from "vitest";
import { missingKeyNote } from "./markdown-format.js";

describe("missingKeyNote: E_KEY_MISSING says no key was given, apart from a wrong key", () => {
  it("without --keys: says no key file was given and the definition needs one", () => {
    expect(missingKeyNote({ decodeAnomalies: { E_KEY_MISSING: 400 }, options: { keyFile: null } })).toBe(
      "E_KEY_MISSING: 400 datagram(s) could not be decrypted because no key file was given (--keys) and the protocol definition encrypts with an AEAD transform that needs one (or inline keys in the definition); a wrong key would show as E_DECRYPT_FAILED.",
    );
  });

  it("with a key file that names none of the sessions: says so, and never 'check the key file' for a wrong key", () => {
    const note = missingKeyNote({ decodeAnomalies: { E_KEY_MISSING: 3 }, options: { keyFile: "game.keys" } })!;
    expect(note).toContain("the key file game.keys has no key for these sessions and directions");
    expect(missingKeyNote({ decodeAnomalies: { E_KEY_MISSING: 3 }, options: {} })).toContain("no key was given for the definition's AEAD transform");
  });

  it("says nothing for a wrong key (E_DECRYPT_FAILED) or no anomaly", () => {
    expect(missingKeyNote({ decodeAnomalies: { E_DECRYPT_FAILED: 400 }, options: { keyFile: "game.keys" } })).toBeUndefined();
    expect(missingKeyNote({ decodeAnomalies: {}, options: {} })).toBeUndefined();
  });
});
