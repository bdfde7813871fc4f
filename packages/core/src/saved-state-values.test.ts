import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { decodeFloat, decodeFloats, decodeSerial, EncodedFloatSchema, EncodedSerialSchema, encodeFloat, encodeFloats, encodeSerial } from "./saved-state-values.js";

describe("saved-state values: floats and serials survive JSON", () => {
  it("round-trips every float, non-finite ones as strings", () => {
    const values = [0, -0, 1.5, -2.25e-300, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const encoded = JSON.parse(JSON.stringify(encodeFloats(values)));
    expect(encoded.slice(5)).toEqual(["NaN", "Infinity", "-Infinity"]);
    expect(decodeFloats(encoded)).toEqual(values.map((value) => (Object.is(value, -0) ? 0 : value)));
    for (const value of encoded) expect(Value.Check(EncodedFloatSchema, value)).toBe(true);
    expect(Number.isNaN(decodeFloat("NaN"))).toBe(true);
  });

  it("round-trips serials: numbers as numbers, 64-bit bigints exactly as decimal strings", () => {
    for (const value of [0, 65_535, 2 ** 53 - 1, 0n, 18_446_744_073_709_551_615n, -1n]) {
      const encoded = JSON.parse(JSON.stringify(encodeSerial(value)));
      expect(Value.Check(EncodedSerialSchema, encoded)).toBe(true);
      expect(decodeSerial(encoded)).toBe(value);
    }
    expect(encodeSerial(18_446_744_073_709_551_615n)).toBe("18446744073709551615");
  });

  it("the schemas refuse what the decoders would misread", () => {
    for (const bad of ["nan", "1e3", "0x10", "", null, true, "12a"]) {
      expect(Value.Check(EncodedSerialSchema, bad)).toBe(false);
    }
    expect(Value.Check(EncodedFloatSchema, "12")).toBe(false);
  });
});
