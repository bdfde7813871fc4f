import { describe, expect, it } from "vitest";
import { BitWriter } from "./bits.js";

/** The general MSB-first bit loop, as BitWriter wrote every field before its fast path. */
function referenceBits(buffer: Uint8Array, position: number, value: number, bits: number): number {
  let left = bits;
  while (left > 0) {
    const bitOffset = position & 7;
    const available = 8 - bitOffset;
    const take = available < left ? available : left;
    const chunk = Math.floor(value / 2 ** (left - take)) % (1 << take);
    buffer[position >>> 3] |= chunk << (available - take);
    left -= take;
    position += take;
  }
  return position;
}

describe("BitWriter fast path", () => {
  it("writes exactly the bytes of the general bit loop at every offset and width", () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let round = 0; round < 3000; round++) {
      const writer = new BitWriter(64);
      const reference = new Uint8Array(64);
      let referencePosition = 0;
      for (let field = 0; field < 12; field++) {
        const bits = next() % 33;
        const value = bits === 0 ? 0 : bits === 32 ? next() : next() % 2 ** bits;
        writer.uint(value, bits, false);
        referencePosition = referenceBits(reference, referencePosition, value, bits);
        expect(writer.position).toBe(referencePosition);
      }
      expect([...writer.finish()]).toEqual([...reference.subarray(0, (referencePosition + 7) >>> 3)]);
    }
  });

  it("keeps little-endian byte fields and wide values on the general path", () => {
    const writer = new BitWriter(4);
    writer.uint(0x1234, 16, true);
    writer.uint(2 ** 40 + 5, 48, false);
    expect([...writer.finish()]).toEqual([0x34, 0x12, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05]);
    expect(() => writer.uint(256, 8, false)).toThrow(/does not fit/);
  });
});
