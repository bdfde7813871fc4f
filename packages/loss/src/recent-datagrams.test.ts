import { describe, expect, it } from "vitest";
import { RECENT_DATAGRAMS, RecentDatagrams } from "./recent-datagrams.js";

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
    const state = ring.saveState();
    expect(state.fingerprints).toHaveLength(RECENT_DATAGRAMS);
    expect(state.next).toBe(40 % RECENT_DATAGRAMS);
    const restored = RecentDatagrams.fromState(state);
    expect(restored.saveState()).toEqual(state);
    expect(restored.find(39 * 7919, 20 + (39 % 3))).toBe(ring.find(39 * 7919, 20 + (39 % 3)));
    // entries forgotten before the save stay forgotten
    expect(restored.find(0, 20)).toBe(-1);
    const empty = new RecentDatagrams().saveState();
    expect(empty.lengths.every((length) => length === -1)).toBe(true);
    expect(RecentDatagrams.fromState(empty).find(-1, -1)).toBe(-1);
    expect(() => RecentDatagrams.fromState({ ...state, lengths: state.lengths.slice(1) })).toThrow(RangeError);
  });
});
