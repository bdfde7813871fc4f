import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BitReader, BitWriter } from "./bit-io.js";

describe("BitWriter / BitReader", () => {
  it("packs fields MSB first with exact bit counts", () => {
    const writer = new BitWriter(16);
    writer.writeUint(1, 1);
    writer.writeUint(5, 3);
    writer.writeUint(0xabc, 12);
    expect(writer.bits).toBe(16);
    expect([...writer.finish()]).toEqual([0b1101_1010, 0xbc]);
  });

  it("round-trips integers up to 53 bits, floats, bits and bytes, growing the buffer", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 53 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 60 }),
        fc.float({ noNaN: true }),
        fc.double({ noNaN: true }),
        fc.uint8Array({ maxLength: 40 }),
        (fieldsSpec, single, double, bytes) => {
          const writer = new BitWriter(1);
          const values = fieldsSpec.map(([bits, fraction]) => Math.floor(fraction * (2 ** bits - 1)));
          fieldsSpec.forEach(([bits], index) => writer.writeUint(values[index]!, bits));
          writer.writeBit(true);
          writer.writeFloat32(single);
          writer.writeFloat64(double);
          writer.writeBytes(bytes);
          const encoded = writer.finish().slice();
          const reader = new BitReader(encoded);
          fieldsSpec.forEach(([bits], index) => expect(reader.readUint(bits)).toBe(values[index]));
          expect(reader.readBit()).toBe(true);
          expect(Object.is(reader.readFloat32(), Math.fround(single))).toBe(true);
          expect(Object.is(reader.readFloat64(), double)).toBe(true);
          expect([...reader.readBytes(bytes.length)]).toEqual([...bytes]);
          expect(encoded.length).toBe(Math.ceil(reader.offset / 8));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("throws a RangeError when reading past the end, and reset reuses the buffer", () => {
    const writer = new BitWriter();
    writer.writeUint(3, 2);
    expect(writer.finish().length).toBe(1);
    writer.reset();
    expect(writer.bits).toBe(0);
    expect(writer.finish().length).toBe(0);
    const reader = new BitReader(new Uint8Array([0xff]));
    expect(reader.readUint(0)).toBe(0);
    expect(reader.readUint(8)).toBe(255);
    expect(() => reader.readUint(1)).toThrow(RangeError);
  });

  it("a counting writer adds up the bits of every write and writes nothing", () => {
    const counter = new BitWriter(0, true);
    const writer = new BitWriter(16);
    for (const target of [counter, writer]) {
      target.writeUint(5, 3);
      target.writeUint(2 ** 40 + 3, 45);
      target.writeBit(true);
      target.writeFloat32(1.5);
      target.writeFloat64(-2.25);
      target.writeBytes(new Uint8Array([1, 2, 3]));
    }
    expect(counter.bits).toBe(3 + 45 + 1 + 32 + 64 + 24);
    expect(counter.byteLength).toBe(writer.finish().length);
    expect(counter.finish().length).toBe(0);
    counter.reset();
    expect(counter.byteLength).toBe(0);
  });
});
