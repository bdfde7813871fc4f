import { describe, expect, it } from "vitest";
import { deflateRawSync } from "node:zlib";
import { deflatedBytes, windowBitsFor } from "./compression.js";
import { dictionaryDeflatedSizes, MAX_REUSED_PAYLOAD_BYTES, reusedStreamDeflatedSizes } from "./reused-deflate.js";

/** Deterministic pseudo-random bytes (xorshift32). */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** Game-like payloads: a few templates with a header, repeated runs and noisy fields (long matches against the dictionary and each other). */
function payloads(count: number, seed: number, maximum: number): Uint8Array[] {
  const next = generator(seed);
  const templates = Array.from({ length: 6 }, () => Uint8Array.from({ length: 400 }, () => next() & 0xff));
  return Array.from({ length: count }, () => {
    const length = next() % (maximum + 1);
    const template = templates[next() % templates.length]!;
    const payload = new Uint8Array(length);
    for (let index = 0; index < length; index++) {
      const noise = next() % 7 === 0;
      payload[index] = noise ? next() & 0xff : template[index % template.length]!;
    }
    // Some end in zeros (what a fresh stream holds past the payload) or in a copy of an earlier run.
    if (length > 8 && next() % 3 === 0) payload.fill(0, length - (next() % 8));
    return payload;
  });
}

function dictionaryFrom(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const dictionary = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    if (offset >= bytes) break;
    const take = Math.min(part.length, bytes - offset);
    dictionary.set(part.subarray(0, take), offset);
    offset += take;
  }
  return dictionary.subarray(0, offset);
}

describe("dictionaryDeflatedSizes", () => {
  it("gives every payload the size of a fresh level-9 deflate with the dictionary (any order of lengths, full and short dictionaries)", () => {
    for (const [seed, dictionaryBytes, maximum] of [
      [1, 32768, 1400],
      [2, 32768, 300],
      [3, 5000, 1400],
      [4, 200, 3000],
      [5, 32768, 64],
    ] as const) {
      const all = payloads(700, seed, maximum);
      const dictionary = dictionaryFrom(all.slice(0, 300), dictionaryBytes);
      const measured = all.slice(300);
      const sizes = dictionaryDeflatedSizes(measured, dictionary);
      const expected = measured.map((payload) => deflateRawSync(payload, { level: 9, dictionary }).length);
      expect(sizes).toEqual(expected);
    }
  });

  it("measures the same payloads the same way whatever their order in the call", () => {
    const all = payloads(400, 9, 1200);
    const dictionary = dictionaryFrom(all.slice(0, 200), 32768);
    const measured = all.slice(200);
    const forward = dictionaryDeflatedSizes(measured, dictionary);
    const reversed = dictionaryDeflatedSizes([...measured].reverse(), dictionary).reverse();
    expect(reversed).toEqual(forward);
  });

  it("measures payloads over the reuse bound, empty payloads and an empty list", () => {
    const next = generator(7);
    const large = Uint8Array.from({ length: MAX_REUSED_PAYLOAD_BYTES + 5000 }, (_, index) => (index % 97 === 0 ? next() & 0xff : index & 0x3f));
    const small = payloads(20, 8, 500);
    const dictionary = dictionaryFrom(small, 32768);
    const list = [large, new Uint8Array(0), ...small, large.subarray(0, MAX_REUSED_PAYLOAD_BYTES)];
    expect(dictionaryDeflatedSizes(list, dictionary)).toEqual(list.map((payload) => deflateRawSync(payload, { level: 9, dictionary }).length));
    expect(dictionaryDeflatedSizes([], dictionary)).toEqual([]);
  });
});

describe("reusedStreamDeflatedSizes", () => {
  it("gives every payload the size of a fresh level-9 deflate with its smallest window (streams per window size)", () => {
    for (const [seed, maximum] of [
      [11, 1400],
      [12, 40000],
      [13, 260],
    ] as const) {
      const measured = payloads(seed === 12 ? 60 : 500, seed, maximum);
      const sizes = reusedStreamDeflatedSizes(measured, { level: 9, windowBitsOf: windowBitsFor });
      expect(sizes).toEqual(measured.map((payload) => deflateRawSync(payload, { level: 9, windowBits: windowBitsFor(payload.length) }).length));
      expect(sizes).toEqual(measured.map(deflatedBytes));
    }
  });

  it("measures on a fresh stream a payload the window could not hold without sliding", () => {
    const measured = payloads(300, 14, 1200);
    // A 512-byte window for every payload: the longer ones would slide it.
    const sizes = reusedStreamDeflatedSizes(measured, { level: 6, windowBitsOf: () => 9 });
    expect(sizes).toEqual(measured.map((payload) => deflateRawSync(payload, { level: 6, windowBits: 9 }).length));
  });
});
