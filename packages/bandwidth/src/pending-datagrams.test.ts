import { describe, expect, it } from "vitest";
import { PendingDatagrams } from "./pending-datagrams.js";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("PendingDatagrams", () => {
  it("copies each datagram once for its messages, and keeps the others' bytes in order when entries are dropped", () => {
    const pending = new PendingDatagrams();
    const view = bytes(1, 2, 3);
    pending.push(view, 10, 0, 100);
    pending.push(view, 10, 1, 100);
    view[0] = 9; // a copy: later changes to the pass's buffer do not reach it
    pending.pushArena();
    pending.push(bytes(4, 5), 11, 0, 60);
    pending.push(bytes(6), 12, 0, 50);
    pending.push(bytes(6), 12, 1, 50);
    expect(pending.length).toBe(6);
    expect(pending.byteLength).toBe(6);
    expect([...pending.payload(1)]).toEqual([1, 2, 3]);
    expect(pending.sameDatagram(0, 1)).toBe(true);
    expect(pending.sameDatagram(1, 3)).toBe(false);
    expect(pending.hasPayload(2)).toBe(false);
    expect(pending.sameDatagram(2, 2)).toBe(false);
    expect(pending.indexInPacket(1)).toBe(1);
    expect(pending.wireLength(3)).toBe(60);
    // drop the first datagram's first message and the second datagram
    pending.compact((index) => index !== 0 && index !== 3);
    expect(pending.length).toBe(4);
    expect(pending.byteLength).toBe(4);
    expect([...pending.payload(0)]).toEqual([1, 2, 3]);
    expect(pending.indexInPacket(0)).toBe(1);
    expect(pending.hasPayload(1)).toBe(false);
    expect([...pending.payload(2)]).toEqual([6]);
    expect(pending.sameDatagram(2, 3)).toBe(true);
    expect(pending.wireLength(3)).toBe(50);
    // popping a message that shares its datagram keeps the bytes; the last one frees them
    pending.pop();
    expect(pending.byteLength).toBe(4);
    pending.pop();
    expect(pending.byteLength).toBe(3);
    pending.pop();
    pending.pop();
    expect(pending.length).toBe(0);
    expect(pending.byteLength).toBe(0);
    pending.pop();
    expect(pending.length).toBe(0);
  });

  it("grows past its first buffer and starts over when cleared", () => {
    const pending = new PendingDatagrams();
    const big = new Uint8Array(200_000).map((_, index) => index & 0xff);
    pending.push(bytes(7), 1, 0, 10);
    pending.push(big, 2, 0, 10);
    expect(pending.byteLength).toBe(200_001);
    expect(pending.payload(1)[199_999]).toBe(199_999 & 0xff);
    // a datagram after a compaction is copied again even when its packet index repeats
    pending.compact(() => true);
    pending.push(big.subarray(0, 2), 2, 1, 10);
    expect(pending.sameDatagram(1, 2)).toBe(false);
    pending.clear();
    expect(pending.length).toBe(0);
    expect(pending.byteLength).toBe(0);
  });
});
