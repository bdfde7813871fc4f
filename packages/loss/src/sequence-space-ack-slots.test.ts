import { describe, expect, it } from "vitest";
import { SequenceSpace, type SequenceSpaceOptions } from "./sequence-space.js";

const OPTIONS: SequenceSpaceOptions = {
  windowSize: 64,
  maxGap: 32,
  pauseThresholdUs: 1_000_000,
  pauseMinimumSkipped: 8,
  maxDuplicateDelayUs: 1_000_000,
  playoutDelayUs: 100_000,
  patternLength: 4,
  runLengthLimit: 256,
  maxResetCandidates: 20,
};

/** A space that received sequences 0..`last` (every one), 1 ms apart. */
function received(last: number): SequenceSpace {
  const space = new SequenceSpace(OPTIONS);
  space.setSequenceBits(16);
  for (let sequence = 0; sequence <= last; sequence++) space.observe(sequence, sequence * 1000, sequence, undefined, 0);
  return space;
}

describe("sequence space ack slots (flags and ack counts in one slot)", () => {
  it("counts every ack of a slot up to 255, keeps its flags, and saves flags and counts apart", () => {
    const space = received(3);
    // Sequence 3 acked 300 times (capped at 255); 2 acked once by bit 0; 1 covered but not acked (bit 1 clear); 0 acked by bit 2.
    for (let repeat = 0; repeat < 300; repeat++) space.onAck(3, repeat === 0 ? 0b101 : 0, 3);
    const window = space.saveState().window;
    // Flags: RECEIVED 1, COVERED 2, ACKED 4 — a hex digit per open slot.
    expect(window.flags).toBe("7377");
    expect(window.ackCounts).toEqual([1, 0, 1, 255]);
    space.finish();
    expect(space.ackCovered).toBe(4);
    expect(space.ackAcknowledged).toBe(3);
    expect(space.ackLost).toBe(1);
    expect(space.ackMentions).toBe(257);
  });

  it("has no ack counts before the first ack, and a reused slot starts again at 0 acks", () => {
    const space = received(2);
    expect(space.saveState().window.ackCounts).toBeNull();
    space.onAck(2, 0, 0);
    space.onAck(2, 0, 0);
    expect(space.saveState().window.ackCounts).toEqual([0, 0, 2]);
    // Move the window a whole turn on: slot of 2 is reused by 66, which no ack mentioned.
    for (let sequence = 3; sequence <= 66; sequence++) space.observe(sequence, sequence * 1000, sequence, undefined, 0);
    const window = space.saveState().window;
    expect(window.ackCounts!.every((count) => count === 0)).toBe(true);
    expect(window.flags).toMatch(/^1+$/);
  });

  it("restores flags and counts from a saved state (counts clamped to a byte, as saved)", () => {
    const space = received(3);
    space.onAck(3, 0b111, 3);
    space.onAck(3, 0b011, 3);
    const state = space.saveState();
    const restored = SequenceSpace.fromState(OPTIONS, state, 0);
    expect(restored.saveState().window).toEqual(state.window);
    const clamped = SequenceSpace.fromState(OPTIONS, { ...state, window: { ...state.window, ackCounts: [300, 2, 2, 2] } }, 0);
    expect(clamped.saveState().window.ackCounts).toEqual([255, 2, 2, 2]);
    expect(clamped.saveState().window.flags).toBe(state.window.flags);
    // The counts are only read back when the state has a sender view.
    const withoutAcks = SequenceSpace.fromState(OPTIONS, { ...state, ack: null, window: { ...state.window, ackCounts: [9, 9, 9, 9] } }, 0);
    expect(withoutAcks.saveState().window.ackCounts).toBeNull();
  });
});
