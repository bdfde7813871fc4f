import { describe, expect, it } from "vitest";
import { Rfc3550SequenceCounter } from "./rfc3550-sequence.js";

function run(sequences: number[], bits = 16): Rfc3550SequenceCounter {
  const counter = new Rfc3550SequenceCounter(bits);
  for (const sequence of sequences) counter.update(sequence);
  return counter;
}

describe("Rfc3550SequenceCounter (RFC 3550 A.1/A.3)", () => {
  it("is empty before any packet", () => {
    const counter = new Rfc3550SequenceCounter();
    expect(counter.expected).toBe(0);
    expect(counter.lost).toBe(0);
  });

  it("counts gaps as lost", () => {
    const counter = run([10, 11, 13, 14, 17]);
    expect(counter.expected).toBe(8);
    expect(counter.received).toBe(5);
    expect(counter.lost).toBe(3);
  });

  it("goes negative with duplicates, like tshark (16 duplicates of 17 packets → −16)", () => {
    const sequences: number[] = [];
    for (let sequence = 100; sequence < 117; sequence++) sequences.push(sequence, sequence);
    sequences.pop();
    // 17 distinct sequences, 33 packets.
    const counter = run(sequences);
    expect(counter.expected).toBe(17);
    expect(counter.received).toBe(33);
    expect(counter.lost).toBe(-16);
  });

  it("extends across the 16-bit wrap-around", () => {
    const counter = run([65533, 65534, 65535, 0, 2]);
    expect(counter.extendedHighest).toBe(65536 + 2);
    expect(counter.expected).toBe(6);
    expect(counter.lost).toBe(1);
  });

  it("does not count reordered packets as lost", () => {
    const counter = run([1, 3, 2, 4]);
    expect(counter.lost).toBe(0);
  });

  it("re-synchronizes after a confirmed jump and discards a lone one", () => {
    const lone = new Rfc3550SequenceCounter();
    for (const sequence of [1, 2, 3]) lone.update(sequence);
    expect(lone.update(40000)).toBe(false);
    lone.update(4);
    expect(lone.lost).toBe(0);
    const restart = run([1, 2, 3, 40000, 40001, 40002]);
    // init_seq at 40001 (RFC: counters restart).
    expect(restart.expected).toBe(2);
    expect(restart.received).toBe(2);
  });

  it("works for other widths", () => {
    const counter = run([250, 252, 254, 0, 1], 8);
    expect(counter.expected).toBe(8);
    expect(counter.lost).toBe(3);
  });
});
