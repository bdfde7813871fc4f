import { describe, expect, it } from "vitest";
import { CAPTURE_DUPLICATE_WINDOW_US, isCaptureDuplicate, payloadFingerprint } from "./capture-duplicate.js";

describe("isCaptureDuplicate", () => {
  const first = { tUs: 1_000_000, ipIdentification: 0x1384, interfaceId: 0 };
  it("calls a copy with the same non-zero IP identification within the window a capture duplicate", () => {
    expect(isCaptureDuplicate(first, { tUs: 1_000_025, ipIdentification: 0x1384, interfaceId: 0 })).toBe(true);
    expect(isCaptureDuplicate(first, { tUs: 1_000_000 + CAPTURE_DUPLICATE_WINDOW_US, ipIdentification: 0x1384 })).toBe(true);
  });
  it("calls a new identification, identification 0 or none on one interface a resend", () => {
    expect(isCaptureDuplicate(first, { tUs: 1_000_025, ipIdentification: 0x1385, interfaceId: 0 })).toBe(false);
    expect(isCaptureDuplicate({ tUs: 0, ipIdentification: 0 }, { tUs: 25, ipIdentification: 0 })).toBe(false);
    expect(isCaptureDuplicate({ tUs: 0 }, { tUs: 25 })).toBe(false);
    expect(isCaptureDuplicate({ tUs: 0, ipIdentification: -1 }, { tUs: 25, ipIdentification: -1 })).toBe(false);
  });
  it("calls a copy on another interface a capture duplicate, whatever its identification", () => {
    expect(isCaptureDuplicate({ tUs: 0, ipIdentification: -1, interfaceId: 0 }, { tUs: 25, ipIdentification: -1, interfaceId: 1 })).toBe(true);
  });
  it("calls a copy later than the window a resend", () => {
    expect(isCaptureDuplicate(first, { tUs: 1_000_000 + CAPTURE_DUPLICATE_WINDOW_US + 1, ipIdentification: 0x1384 })).toBe(false);
    expect(isCaptureDuplicate(first, { tUs: 1_000_500, ipIdentification: 0x1384 }, 100)).toBe(false);
    expect(isCaptureDuplicate(first, { tUs: Number.NaN, ipIdentification: 0x1384 })).toBe(false);
  });
});

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe("payloadFingerprint", () => {
  it("is MurmurHash3 x86_32 with seed 0 (reference vectors)", () => {
    expect(payloadFingerprint(new Uint8Array(0))).toBe(0);
    expect(payloadFingerprint(text("a"))).toBe(0x3c2569b2);
    expect(payloadFingerprint(text("abc"))).toBe(0xb3dd93fa);
    expect(payloadFingerprint(text("Hello, world!"))).toBe(0xc0363e43);
    expect(payloadFingerprint(text("The quick brown fox jumps over the lazy dog"))).toBe(0x2e4ff723);
    expect(payloadFingerprint(new Uint8Array([0, 0, 0, 0]))).toBe(0x2362f9de);
  });

  it("reads a view at any offset of its buffer, and tells single-bit changes apart", () => {
    const buffer = new Uint8Array(67);
    for (let index = 0; index < buffer.length; index++) buffer[index] = (index * 37) & 255;
    const view = buffer.subarray(3, 64);
    expect(payloadFingerprint(view)).toBe(payloadFingerprint(Uint8Array.from(view)));
    const seen = new Set<number>([payloadFingerprint(view)]);
    for (let bit = 0; bit < view.length * 8; bit++) {
      const changed = Uint8Array.from(view);
      changed[bit >> 3]! ^= 1 << (bit & 7);
      seen.add(payloadFingerprint(changed));
    }
    expect(seen.size).toBe(view.length * 8 + 1);
  });
});
