import { serialDifference } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { ReplayDetector } from "./detectors/replay-detector.js";
import { resolveAnticheatOptions } from "./options.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

/** Stale repeats counted after the newest sequence `newest` and then `sequence`, in a `bits`-bit space. */
function staleAfter(newest: number, sequence: number, bits: number): number {
  const detector = new ReplayDetector(resolveAnticheatOptions({}));
  const builder = new StreamBuilder();
  detector.onClientMessage(builder.client(1_000_000, "input", { sequence: newest, sequenceBits: bits }));
  detector.onClientMessage(builder.client(2_000_000, "input", { sequence, sequenceBits: bits }));
  return detector.saveState().unauthenticated.stale;
}

describe("replay detector sequence distance (up to 32 bits)", () => {
  it("calls a sequence stale exactly when core's serial difference puts it more than the replay window behind", () => {
    const window = resolveAnticheatOptions({}).replayWindow;
    const generator = new Random(32);
    for (const bits of [8, 16, 24, 31, 32]) {
      const modulus = 2 ** bits;
      // Around the window, the half-space boundary and the wrap, plus random pairs.
      const distances = [window, window + 1, window + 2, modulus / 2 - 1, modulus / 2, modulus / 2 + 1, modulus - 1, 1, 0];
      for (let index = 0; index < 40; index++) distances.push(Math.floor(generator.next() * modulus));
      for (const distance of distances) {
        const newest = Math.floor(generator.next() * modulus);
        const sequence = (((newest - distance) % modulus) + modulus) % modulus;
        if (sequence === newest) continue;
        // Exactly half the space apart is ambiguous (RFC 1982 §3.2): the detector takes it as ahead (a newer sequence), never stale.
        const behind = distance === modulus / 2 ? -distance : -serialDifference(newest, sequence, bits);
        expect(staleAfter(newest, sequence, bits), `bits ${bits}, newest ${newest}, sequence ${sequence}`).toBe(behind > window ? 1 : 0);
      }
    }
  });
});
