import { describe, expect, it } from "vitest";
import { RecentDatagrams } from "./recent-datagrams.js";
import { DEFAULT_RECENT_DATAGRAMS as RECENT_DATAGRAMS } from "./recent-payload-rings.js";

describe("recent datagrams ring", () => {
  it("finds a remembered datagram by fingerprint and length, with its capture stamp", () => {
    const ring = new RecentDatagrams();
    expect(ring.find(0x1234, 100)).toBe(-1);
    ring.add(0x1234, 100, 5_000, 77, 1);
    ring.add(0x5634, 100, 6_000, -1, 0);
    const index = ring.find(0x1234, 100);
    expect(index).toBe(0);
    expect([ring.timeUs(index), ring.ipIdentification(index), ring.interfaceId(index)]).toEqual([5_000, 77, 1]);
    // same fingerprint, other length; same low byte (0x34), other fingerprint: no match
    expect(ring.find(0x1234, 101)).toBe(-1);
    expect(ring.find(0x9934, 100)).toBe(-1);
    expect(ring.find(0x5634, 100)).toBe(1);
  });

  it("tells fingerprints apart that agree in their low 32 bits (the key column is only a pre-check)", () => {
    const ring = new RecentDatagrams();
    ring.add(2 ** 32 + 0x1234, 100, 1, -1, 0);
    ring.add(0x1234, 100, 2, -1, 0);
    expect(ring.find(0x1234, 100)).toBe(1);
    expect(ring.find(2 ** 32 + 0x1234, 100)).toBe(0);
    expect(ring.find(2 ** 33 + 0x1234, 100)).toBe(-1);
    const restored = RecentDatagrams.fromColumns(ring.saveColumns());
    expect([restored.find(0x1234, 100), restored.find(2 ** 32 + 0x1234, 100)]).toEqual([1, 0]);
  });

  it("forgets the oldest entry once full, and the first of equal entries is the one found", () => {
    const ring = new RecentDatagrams();
    ring.add(0xabcdef, 60, 1, -1, 0);
    ring.add(0xabcdef, 60, 2, -1, 0);
    expect(ring.timeUs(ring.find(0xabcdef, 60))).toBe(1);
    for (let index = 0; index < RECENT_DATAGRAMS - 1; index++) ring.add(index, 10, 100 + index, -1, 0);
    // the first copy was replaced: the second is found now
    expect(ring.timeUs(ring.find(0xabcdef, 60))).toBe(2);
    ring.add(500, 10, 1_000, -1, 0);
    expect(ring.find(0xabcdef, 60)).toBe(-1);
    expect(ring.find(0, 10)).toBeGreaterThanOrEqual(0);
  });

  it("round-trips through its saved state, column by column, and rejects short columns", () => {
    const ring = new RecentDatagrams();
    for (let index = 0; index < 40; index++) ring.add(index * 7919, 20 + (index % 3), index * 10, index % 2 === 0 ? index : -1, index % 4);
    const state = ring.saveColumns();
    expect(state.fingerprints).toHaveLength(RECENT_DATAGRAMS);
    expect(state.next).toBe(40 % RECENT_DATAGRAMS);
    const restored = RecentDatagrams.fromColumns(state);
    expect(restored.saveColumns()).toEqual(state);
    expect(restored.find(39 * 7919, 20 + (39 % 3))).toBe(ring.find(39 * 7919, 20 + (39 % 3)));
    // entries forgotten before the save stay forgotten
    expect(restored.find(0, 20)).toBe(-1);
    const empty = new RecentDatagrams().saveColumns();
    expect(empty.lengths.every((length) => length === -1)).toBe(true);
    expect(RecentDatagrams.fromColumns(empty).find(-1, -1)).toBe(-1);
    expect(() => RecentDatagrams.fromColumns({ ...state, lengths: state.lengths.slice(1) })).toThrow(RangeError);
  });

  it("holds any capacity (0 remembers nothing), counts a low byte shared by more than 255 entries, and rejects a bad next slot", () => {
    expect(() => new RecentDatagrams(-1)).toThrow(RangeError);
    expect(() => new RecentDatagrams(1.5)).toThrow(RangeError);
    const none = new RecentDatagrams(0);
    none.add(7, 10, 0, -1, 0);
    expect(none.find(7, 10)).toBe(-1);
    expect(RecentDatagrams.fromColumns(none.saveColumns(), 0).saveColumns()).toEqual(none.saveColumns());
    // 300 entries share low byte 0x11: the filter must not wrap to "no entry"
    const wide = new RecentDatagrams(300);
    for (let index = 0; index < 300; index++) wide.add((index << 8) | 0x11, 50, index, -1, 0);
    for (let index = 0; index < 300; index++) expect(wide.find((index << 8) | 0x11, 50)).toBe(index);
    wide.add(0x22, 50, 300, -1, 0);
    expect(wide.find(0x11, 50)).toBe(-1);
    expect(wide.find((299 << 8) | 0x11, 50)).toBe(299);
    expect([wide.next, wide.fingerprint(0), wide.length(0)]).toEqual([1, 0x22, 50]);
    // 255 entries (the most a byte filter holds) share low byte 0x33: none is lost to a wrapped count
    const full = new RecentDatagrams(255);
    for (let index = 0; index < 255; index++) full.add((index << 8) | 0x33, 40, index, -1, 0);
    for (let index = 0; index < 255; index++) expect(full.find((index << 8) | 0x33, 40)).toBe(index);
    full.add(0x44, 40, 255, -1, 0);
    expect([full.find(0x33, 40), full.find((254 << 8) | 0x33, 40), full.find(0x44, 40)]).toEqual([-1, 254, 0]);
    const state = new RecentDatagrams().saveColumns();
    for (const next of [-1, RECENT_DATAGRAMS, 0.5]) expect(() => RecentDatagrams.fromColumns({ ...state, next })).toThrow(RangeError);
  });
});
