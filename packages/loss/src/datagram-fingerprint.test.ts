import { describe, expect, it } from "vitest";
import { datagramFingerprint } from "./datagram-fingerprint.js";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe("datagram fingerprint", () => {
  it("is MurmurHash3 x86_32 with seed 0 (reference vectors)", () => {
    expect(datagramFingerprint(new Uint8Array(0))).toBe(0);
    expect(datagramFingerprint(text("a"))).toBe(0x3c2569b2);
    expect(datagramFingerprint(text("abc"))).toBe(0xb3dd93fa);
    expect(datagramFingerprint(text("Hello, world!"))).toBe(0xc0363e43);
    expect(datagramFingerprint(text("The quick brown fox jumps over the lazy dog"))).toBe(0x2e4ff723);
    expect(datagramFingerprint(new Uint8Array([0, 0, 0, 0]))).toBe(0x2362f9de);
  });

  it("reads a view at any offset of its buffer, and tells single-bit changes apart", () => {
    const buffer = new Uint8Array(67);
    for (let index = 0; index < buffer.length; index++) buffer[index] = (index * 37) & 255;
    const view = buffer.subarray(3, 64);
    expect(datagramFingerprint(view)).toBe(datagramFingerprint(Uint8Array.from(view)));
    const seen = new Set<number>([datagramFingerprint(view)]);
    for (let bit = 0; bit < view.length * 8; bit++) {
      const changed = Uint8Array.from(view);
      changed[bit >> 3]! ^= 1 << (bit & 7);
      seen.add(datagramFingerprint(changed));
    }
    expect(seen.size).toBe(view.length * 8 + 1);
  });
});
