import { serialDifference, type GameMessage, type SerialNumber } from "@tickscope/core";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InputCoverage } from "./input-coverage.js";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { Rfc3550SequenceCounter } from "./rfc3550-sequence.js";
import { SequenceSpace } from "./sequence-space.js";

const HANDSHAKE = 2n ** 63n; // netcode starts its sequence here

/** The exact wire value of a u64 sequence: a number while safe, a bigint beyond. */
function wire(value: bigint, bits = 64): SerialNumber {
  const wrapped = BigInt.asUintN(bits, value);
  return wrapped <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wrapped) : wrapped;
}

function message(index: number, roles: GameMessage["roles"], direction: GameMessage["direction"] = "clientToServer"): GameMessage {
  return { sessionId: "s", direction, tUs: 1_000_000 + index * 16_000, packetIndex: index, indexInPacket: 0, type: "input", byteLength: 20, packetWireLength: 62, fields: {}, roles };
}

const SPACE_OPTIONS = {
  windowSize: 64,
  maxGap: 100,
  pauseThresholdUs: 1_000_000,
  pauseMinimumSkipped: 8,
  maxDuplicateDelayUs: 1_000_000,
  playoutDelayUs: 100_000,
  patternLength: 4,
  runLengthLimit: 64,
  maxResetCandidates: 4,
};

describe("loss with netcode-style u64 sequences", () => {
  afterEach(() => vi.restoreAllMocks());

  it("counts loss exactly from 2^63 and prints the wire values of a pause exactly", () => {
    const analyzer = createLossAnalyzer();
    let index = 0;
    for (let sequence = 0n; sequence < 1000n; sequence++) {
      if (sequence % 100n === 50n) continue; // 10 lost
      if (sequence >= 500n && sequence < 600n) continue; // held: a pause of 100 sequences
      const roles = { sequence: wire(HANDSHAKE + sequence), sequenceBits: 64, inputSequence: wire(HANDSHAKE + sequence), inputSequenceBits: 64, inputCount: 1 };
      const extra = sequence === 600n ? 2_000_000 : 0;
      analyzer.onMessage({ ...message(index++, roles), tUs: 1_000_000 + Number(sequence) * 16_000 + extra });
    }
    const report = analyzer.finish();
    const row = report.sessions[0]!;
    expect(row.sequenceBits).toBe(64);
    expect(row.lost).toBe(9); // 50, 150, …, 450 and 650, …, 950 minus the one inside the pause
    expect(row.duplicates).toBe(0);
    expect(row.resets.count).toBe(1);
    expect(row.resets.candidates[0]).toMatchObject({ reason: "pause", fromSequence: String(HANDSHAKE + 499n), toSequence: String(HANDSHAKE + 600n), skippedSequences: 100 });
    expect(report.findings.some((finding) => finding.summary.includes(`${HANDSHAKE + 499n} → ${HANDSHAKE + 600n}`))).toBe(true);
    expect(JSON.stringify(report)).not.toContain("9223372036854776000");
    expect(report.anomalies.total ?? 0).toBe(0);
  });

  it("crosses the u64 wrap without loss or reset, acks included", () => {
    const analyzer = createLossAnalyzer();
    for (let index = 0; index < 400; index++) {
      const sequence = wire(2n ** 64n - 200n + BigInt(index));
      analyzer.onMessage(message(2 * index, { sequence, sequenceBits: 64 }));
      analyzer.onMessage(message(2 * index + 1, { sequence: index, sequenceBits: 64, ack: sequence, ackBits: 0xffffffff, ackBitsWidth: 32 }, "serverToClient"));
    }
    const rows = analyzer.finish().sessions;
    const up = rows.find((row) => row.direction === "clientToServer")!;
    expect(up.lost).toBe(0);
    expect(up.resets.count).toBe(0);
    expect(up.expected).toBe(400);
    expect(up.senderView?.lost ?? 0).toBe(0);
  });

  it("measures distances exactly as core's serialDifference for every width (its own 32-bit fast path included)", () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
      fc.maxSafeInteger(),
      fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 0.5, Number.NaN),
    );
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant(undefined)), value, value, (bits, from, to) => {
        const space = new SequenceSpace(SPACE_OPTIONS);
        space.setSequenceBits(bits);
        const outcome = (distance: () => number): number | string => {
          try {
            return distance();
          } catch (error) {
            return String(error);
          }
        };
        const delta = outcome(() => (space as unknown as { delta(from: SerialNumber, to: SerialNumber): number }).delta(from, to));
        expect(Object.is(delta, outcome(() => serialDifference(from, to, bits)))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("reduces a wide sequence to the RFC 3550 counter's width exactly", () => {
    const counter = new Rfc3550SequenceCounter(16);
    for (let index = 0n; index < 70_000n; index++) counter.update(HANDSHAKE + index);
    expect(counter.expected).toBe(70_000);
    expect(counter.lost).toBe(0);
  });

  it("does at most O(window) work per message on random 64-bit input (property)", () => {
    const prototype = SequenceSpace.prototype as unknown as { finalizeSlot: () => void; resetSlot: () => void };
    const finalize = vi.spyOn(prototype, "finalizeSlot");
    const reset = vi.spyOn(prototype, "resetSlot");
    const coverageFinalize = vi.spyOn(InputCoverage.prototype as unknown as { finalize: () => void }, "finalize");
    fc.assert(
      fc.property(
        fc.constantFrom(8, 16, 32, 53, 64, undefined),
        fc.array(fc.tuple(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -3000, max: 3000 })), fc.integer({ min: 0, max: 3_000_000 })), {
          minLength: 1,
          maxLength: 150,
        }),
        (bits, steps) => {
          const space = new SequenceSpace(SPACE_OPTIONS);
          space.setSequenceBits(bits);
          const coverage = new InputCoverage(64);
          let current = HANDSHAKE;
          let tUs = 0;
          const bound = 2 * (SPACE_OPTIONS.windowSize + SPACE_OPTIONS.maxGap) + 2;
          for (const [step, gapUs] of steps) {
            current = typeof step === "bigint" ? step : current + BigInt(step);
            tUs += gapUs;
            const value = wire(current, bits ?? 64);
            finalize.mockClear();
            reset.mockClear();
            coverageFinalize.mockClear();
            space.observe(value, tUs, 0, undefined, 0);
            space.onAck(value, 0xffffffff, 32);
            coverage.observe(value, 4, 10, bits);
            expect(finalize.mock.calls.length + reset.mock.calls.length).toBeLessThanOrEqual(bound);
            expect(coverageFinalize.mock.calls.length).toBeLessThanOrEqual(64);
          }
          finalize.mockClear();
          space.finish();
          coverage.finish();
          expect(finalize.mock.calls.length).toBeLessThanOrEqual(SPACE_OPTIONS.windowSize + 1);
          expect(Number.isSafeInteger(space.lost) && Number.isSafeInteger(space.expected) && Number.isSafeInteger(coverage.lost)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
