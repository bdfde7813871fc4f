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
  it("fingerprints payloads with FNV-1a", () => {
    expect(payloadFingerprint(new Uint8Array([]))).toBe(0x811c9dc5);
    expect(payloadFingerprint(new Uint8Array([0x61]))).toBe(0xe40c292c);
  });
});
