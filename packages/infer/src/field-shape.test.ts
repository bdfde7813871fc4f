import { describe, expect, it } from "vitest";
import { serialDifference } from "@tickscope/core";
import { fieldValue, leastSignificantByte, partsDifference, readFieldParts, shapeLabel } from "./field-shape.js";

describe("field shapes", () => {
  it("reads every width in both byte orders", () => {
    const bytes = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
    const out = { high: 0, low: 0 };
    readFieldParts(bytes, { offset: 0, bytes: 2, littleEndian: false }, out);
    expect(fieldValue(out.high, out.low)).toBe(0x0102);
    readFieldParts(bytes, { offset: 1, bytes: 3, littleEndian: true }, out);
    expect(fieldValue(out.high, out.low)).toBe(0x040302);
    readFieldParts(bytes, { offset: 0, bytes: 6, littleEndian: false }, out);
    expect(fieldValue(out.high, out.low)).toBe(0x010203040506);
    readFieldParts(bytes, { offset: 0, bytes: 8, littleEndian: true }, out);
    expect(out.high).toBe(0x08070605);
    expect(out.low).toBe(0x04030201);
  });

  it("differences agree with core's serial-number arithmetic, across 2^63 and 2^16", () => {
    const cases: [number, bigint, bigint][] = [
      [8, 2n ** 63n - 1n, 2n ** 63n],
      [8, 2n ** 64n - 1n, 0n],
      [2, 65535n, 1n],
      [2, 1n, 65535n],
      [6, 2n ** 48n - 3n, 2n],
      [4, 5n, 3n],
    ];
    for (const [bytes, from, to] of cases) {
      const split = (value: bigint) => [Number(value >> 32n), Number(value & 0xffffffffn)] as const;
      const [fromHigh, fromLow] = split(from);
      const [toHigh, toLow] = split(to);
      expect(partsDifference(bytes, fromHigh, fromLow, toHigh, toLow)).toBe(serialDifference(from, to, bytes * 8));
    }
  });

  it("labels shapes and finds the least significant byte", () => {
    expect(shapeLabel({ offset: 4, bytes: 2, littleEndian: false })).toBe("u16 BE @4");
    expect(shapeLabel({ offset: 0, bytes: 1, littleEndian: false })).toBe("u8 @0");
    expect(leastSignificantByte({ offset: 4, bytes: 2, littleEndian: false })).toBe(5);
    expect(leastSignificantByte({ offset: 4, bytes: 2, littleEndian: true })).toBe(4);
  });
});
