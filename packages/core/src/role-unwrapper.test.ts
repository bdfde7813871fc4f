import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { MessageRoles } from "./roles.js";
import { ClockUnwrapper, nearestClockValue, RoleUnwrapper, type UnwrappableMessage } from "./role-unwrapper.js";
import { compileProtocol, type ProtocolDefinition } from "./protocol/index.js";
import { decodeAll, testContext } from "./test-support/protocols.js";

const U32_MS_US = 2 ** 32 * 1000;

function message(roles: MessageRoles, tUs: number, direction: UnwrappableMessage["direction"] = "clientToServer", sessionId = "s"): UnwrappableMessage {
  return { sessionId, direction, tUs, roles };
}

describe("nearestClockValue", () => {
  it("places a raw value within half a modulus of the reference", () => {
    expect(nearestClockValue(5, 65_530, 65_536)).toBe(65_541);
    expect(nearestClockValue(65_530, 65_541, 65_536)).toBe(65_530);
    expect(nearestClockValue(100, 100, 65_536)).toBe(100);
    // Exactly half a modulus is behind, never a jump forward.
    expect(nearestClockValue(32_768, 0, 65_536)).toBe(-32_768);
  });
});

describe("nearestClockValue without a remainder near the reference", () => {
  /** The definition: the remainder of the difference, moved into [-half, half). */
  function byRemainder(rawUs: number, referenceUs: number, modulusUs: number): number {
    const half = modulusUs / 2;
    let delta = (rawUs - referenceUs) % modulusUs;
    if (delta >= half) delta -= modulusUs;
    else if (delta < -half) delta += modulusUs;
    return referenceUs + delta;
  }

  it("equals the remainder definition on random, boundary and non-integer values (property)", () => {
    const modulus = fc.oneof(fc.constantFrom(2 ** 16, 65_536_000, 2 ** 32 * 1000, 2 ** 48, (2 ** 32 * 1_000_000) / 8000), fc.double({ min: 1e-3, max: 2 ** 52, noNaN: true }));
    const value = fc.oneof(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.double({ min: -(2 ** 50), max: 2 ** 50, noNaN: true }), fc.constantFrom(0, -0, Number.NaN));
    fc.assert(
      fc.property(value, value, modulus, fc.integer({ min: -3, max: 3 }), (raw, reference, modulusUs, halves) => {
        // Also values exactly at (multiples of) half a modulus from the reference.
        const near = reference + (halves * modulusUs) / 2;
        for (const rawUs of [raw, near, reference + raw / 1e6]) {
          expect(Object.is(nearestClockValue(rawUs, reference, modulusUs), byRemainder(rawUs, reference, modulusUs))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("RoleUnwrapper.applyFor", () => {
  it("gives apply's values when the caller holds each session direction's sender (interleaved sessions, wraps, streams)", () => {
    const byApply = new RoleUnwrapper();
    const byHandle = new RoleUnwrapper();
    const handles = new Map<string, ReturnType<RoleUnwrapper["senderOf"]>>();
    const random = (() => {
      let state = 7;
      return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    })();
    const modulus = 65_536_000; // u16 ms
    for (let index = 0; index < 5000; index++) {
      const sessionId = `s${Math.floor(random() * 4)}`;
      const direction = random() < 0.5 ? "clientToServer" : "serverToClient";
      const tUs = index * 7000;
      const trueMs = 60_000 + index * 7 + Math.floor(random() * 40) - 20;
      const roles = (): MessageRoles => ({
        sendTimeUs: (trueMs % 65_536) * 1000,
        sendTimeModulusUs: modulus,
        ...(index % 3 === 0 ? { targetTimeUs: ((trueMs - 90) % 65_536) * 1000, targetTimeModulusUs: modulus } : {}),
        tick: (65_000 + index) % 65_536,
        tickBits: 16,
        ...(index % 5 === 0 ? { sessionId: `ssrc${index % 2}` } : {}),
      });
      const expected = roles();
      byApply.apply(message(expected, tUs, direction, sessionId));
      const actual = roles();
      const key = `${sessionId}/${direction}`;
      let handle = handles.get(key);
      if (handle === undefined) {
        handle = byHandle.senderOf(sessionId, direction);
        handles.set(key, handle);
      }
      byHandle.applyFor(message(actual, tUs, direction, sessionId), handle);
      expect(actual).toEqual(expected);
    }
    expect(byHandle.senderCount).toBe(byApply.senderCount);
    // A message without wrapping roles is left alone and creates nothing.
    const plain: MessageRoles = { sendTimeUs: 5, sequence: 1 };
    byHandle.applyFor(message(plain, 0), byHandle.senderOf("s0", "clientToServer"));
    expect(plain).toEqual({ sendTimeUs: 5, sequence: 1 });
  });
});

describe("ClockUnwrapper", () => {
  it("extends a u32 ms clock from a random origin across its wrap, monotonic at 60 Hz", () => {
    const clock = new ClockUnwrapper(U32_MS_US);
    const originMs = 2 ** 32 - 3_000; // wraps 3 s into the match
    let previous = Number.NEGATIVE_INFINITY;
    for (let frame = 0; frame < 600; frame++) {
      const elapsedMs = Math.round((frame * 1000) / 60);
      const rawUs = ((originMs + elapsedMs) % 2 ** 32) * 1000;
      const extended = clock.extend(rawUs, 1e15 + elapsedMs * 1000);
      expect(extended).toBe((originMs + elapsedMs) * 1000);
      expect(extended).toBeGreaterThanOrEqual(previous);
      previous = extended;
    }
  });

  it("uses the capture time elapsed to cross a silence longer than half the wrap period", () => {
    // u16 ms clock: wraps every 65.536 s; a 50 s silence is more than half of it.
    const clock = new ClockUnwrapper(65_536_000);
    expect(clock.extend(60_000_000, 0)).toBe(60_000_000);
    const rawUs = ((60_000 + 50_000) % 65_536) * 1000;
    expect(clock.extend(rawUs, 50_000_000)).toBe(110_000_000);
  });

  it("keeps a real backwards jump and a fast clock (a reset or a speedhack stay visible)", () => {
    const clock = new ClockUnwrapper(U32_MS_US);
    clock.extend(1_000_000_000, 0);
    expect(clock.extend(1_000_000, 1_000_000)).toBe(1_000_000);
    const fast = new ClockUnwrapper(65_536_000);
    let extended = 0;
    for (let second = 0; second <= 200; second++) extended = fast.extend(((second * 2_000) % 65_536) * 1000, second * 1_000_000);
    expect(extended).toBe(400_000_000);
  });

  it("passes NaN through and rejects a bad modulus", () => {
    const clock = new ClockUnwrapper(1000);
    expect(clock.extend(Number.NaN, 0)).toBeNaN();
    expect(clock.started).toBe(false);
    clock.extend(10, 0);
    expect(clock.extend(Number.NaN, 5)).toBeNaN();
    expect(() => new ClockUnwrapper(0)).toThrow(RangeError);
    expect(() => new ClockUnwrapper(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("recovers every u16/u24/u32 clock exactly from random origins and steps below a quarter of the wrap", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 0.25, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (bits, originFraction, steps) => {
          const modulus = 2 ** bits;
          const clock = new ClockUnwrapper(modulus * 1000);
          let trueMs = Math.floor(originFraction * (modulus - 1));
          expect(clock.extend((trueMs % modulus) * 1000, 0)).toBe(trueMs * 1000);
          let captureUs = 0;
          for (const step of steps) {
            const stepMs = Math.floor(step * modulus);
            trueMs += stepMs;
            captureUs += stepMs * 1000;
            expect(clock.extend((trueMs % modulus) * 1000, captureUs)).toBe(trueMs * 1000);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("RoleUnwrapper", () => {
  it("leaves messages without wrapping roles alone", () => {
    const unwrapper = new RoleUnwrapper();
    const roles: MessageRoles = { sendTimeUs: 5, tick: 7, sequence: 3 };
    unwrapper.apply(message(roles, 0));
    expect(roles).toEqual({ sendTimeUs: 5, tick: 7, sequence: 3 });
    expect(unwrapper.senderCount).toBe(0);
  });

  it("unwraps sendTime per session and direction, targetTime against that direction's sendTime clock, and ticks", () => {
    const unwrapper = new RoleUnwrapper();
    const modulus = 65_536_000; // u16 ms
    const up: MessageRoles[] = [];
    for (let index = 0; index < 200; index++) {
      const trueMs = 65_000 + index * 16;
      const roles: MessageRoles = {
        sendTimeUs: (trueMs % 65_536) * 1000,
        sendTimeModulusUs: modulus,
        targetTimeUs: ((trueMs - 100) % 65_536) * 1000,
        targetTimeModulusUs: modulus,
        tick: (65_530 + index) % 65_536,
        tickBits: 16,
      };
      unwrapper.apply(message(roles, index * 16_000));
      up.push(roles);
      // The other session and direction have their own clocks (a different origin).
      const other: MessageRoles = { sendTimeUs: ((index * 16) % 65_536) * 1000, sendTimeModulusUs: modulus };
      unwrapper.apply(message(other, index * 16_000, "serverToClient"));
      expect(other.sendTimeUs).toBe(index * 16_000);
      const third: MessageRoles = { sendTimeUs: ((7 + index * 16) % 65_536) * 1000, sendTimeModulusUs: modulus };
      unwrapper.apply(message(third, index * 16_000, "clientToServer", "t"));
      expect(third.sendTimeUs).toBe((7 + index * 16) * 1000);
    }
    up.forEach((roles, index) => {
      expect(roles.sendTimeUs).toBe((65_000 + index * 16) * 1000);
      expect(roles.targetTimeUs).toBe((65_000 + index * 16 - 100) * 1000);
      expect(roles.tick).toBe(65_530 + index);
    });
    expect(unwrapper.senderCount).toBe(3);
  });

  it("keeps one clock per protocol-level session id (two RTP SSRCs on one 5-tuple, one wrapping)", () => {
    const unwrapper = new RoleUnwrapper();
    const modulus = (2 ** 32 * 1_000_000) / 8000; // u32 timestamp at 8 kHz, µs
    const tickUs = 1_000_000 / 8000;
    const origins = { a: 2 ** 32 - 800, b: 2 ** 31 }; // a wraps after 100 ms; b is half a wrap away
    for (let index = 0; index < 100; index++) {
      for (const [ssrc, origin] of Object.entries(origins)) {
        const raw = ((origin + index * 160) % 2 ** 32) * tickUs;
        const roles: MessageRoles = { sendTimeUs: raw, sendTimeModulusUs: modulus, sessionId: ssrc };
        unwrapper.apply(message(roles, index * 20_000));
        expect(roles.sendTimeUs).toBeCloseTo((origin + index * 160) * tickUs, 3);
      }
    }
    // Beyond the bound, senders share the direction's clocks (bounded memory).
    for (let index = 0; index < 300; index++) unwrapper.apply(message({ sendTimeUs: 1, sendTimeModulusUs: modulus, sessionId: `x${index}` }, 0));
    expect(unwrapper.senderCount).toBe(1);
  });

  it("unwraps a targetTime on its own clock when its direction has no sendTime", () => {
    const unwrapper = new RoleUnwrapper();
    const values: number[] = [];
    for (let index = 0; index < 10; index++) {
      const roles: MessageRoles = { targetTimeUs: ((65_530 + index) % 65_536) * 1000, targetTimeModulusUs: 65_536_000 };
      unwrapper.apply(message(roles, index * 1000));
      values.push(roles.targetTimeUs!);
    }
    expect(values).toEqual(Array.from({ length: 10 }, (_, index) => (65_530 + index) * 1000));
  });

  it("turns a u64 tick beyond 2^53 into an exact monotonic number, and keeps float ticks", () => {
    const unwrapper = new RoleUnwrapper();
    const start = 2n ** 63n;
    const ticks: number[] = [];
    for (let index = 0n; index < 5n; index++) {
      const roles: MessageRoles = { tick: start + index, tickBits: 64 };
      unwrapper.apply(message(roles, Number(index)));
      ticks.push(roles.tick as number);
    }
    expect(ticks.map((tick) => tick - ticks[0])).toEqual([0, 1, 2, 3, 4]);
    expect(ticks.every((tick) => Number.isSafeInteger(tick))).toBe(true);
    const float: MessageRoles = { tick: 2.5, tickBits: 16 };
    unwrapper.apply(message(float, 10, "serverToClient"));
    expect(float.tick).toBe(2.5);
  });

  it("is idempotent: applying it twice gives the same values", () => {
    const first = new RoleUnwrapper();
    const second = new RoleUnwrapper();
    for (let index = 0; index < 300; index++) {
      const trueMs = 4_294_960_000 + index * 50;
      const roles: MessageRoles = { sendTimeUs: (trueMs % 2 ** 32) * 1000, sendTimeModulusUs: U32_MS_US, tick: (16_777_200 + index) % 2 ** 24, tickBits: 24 };
      first.apply(message(roles, index * 50_000));
      const once = { ...roles };
      second.apply(message(roles, index * 50_000));
      expect(roles).toEqual(once);
      expect(roles.sendTimeUs).toBe(trueMs * 1000);
      expect(roles.tick).toBe(16_777_200 + index);
    }
  });
});

describe("role extraction records where clocks and counters wrap", () => {
  const definition: ProtocolDefinition = {
    name: "wrapping",
    version: "1",
    header: [
      { name: "sequence", type: "u16", role: "sequence" },
      { name: "clockMs", type: "u32", role: "sendTime", unit: "ms" },
      { name: "tick", type: "uint", bits: 24, role: "tick" },
      { name: "kind", type: "u8", role: "messageType" },
    ],
    body: { repeat: "once", select: { on: "kind", cases: [{ value: 1, message: "input" }] } },
    messages: [
      {
        name: "input",
        fields: [
          { name: "inputSequence", type: "u64", role: "inputSequence" },
          { name: "rewindTicks", type: "u16", role: "targetTime", ticksPerSecond: 60 },
          { name: "bigClock", type: "u64", role: "echoTime", echoPhase: "request" },
        ],
      },
    ],
  } as ProtocolDefinition;

  for (const mode of ["compiled", "interpreted"] as const) {
    it(`${mode}: widths and moduli, exact u64 counters`, () => {
      const protocol = compileProtocol(definition, { mode });
      const datagram = protocol.encodeDatagram([{ type: "input", fields: { inputSequence: 2n ** 63n + 5n, rewindTicks: 30, bigClock: 2n ** 63n } }], {
        header: { sequence: 65_535, clockMs: 4_294_967_295, tick: 16_777_215, kind: 1 },
      });
      const { messages, anomalies } = decodeAll(protocol, datagram, testContext());
      expect(anomalies).toEqual([]);
      const roles = messages[0].roles;
      expect(roles.sequence).toBe(65_535);
      expect(roles.sequenceBits).toBe(16);
      expect(roles.sendTimeUs).toBe(4_294_967_295_000);
      expect(roles.sendTimeModulusUs).toBe(U32_MS_US);
      expect(roles.tick).toBe(16_777_215);
      expect(roles.tickBits).toBe(24);
      expect(roles.inputSequence).toBe(2n ** 63n + 5n);
      expect(roles.inputSequenceBits).toBe(64);
      expect(roles.targetTimeUs).toBe(500_000);
      expect(roles.targetTimeModulusUs).toBeCloseTo((65_536 * 1_000_000) / 60, 3);
      expect(roles.echoKey).toBe(String(2n ** 63n));
    });
  }
});
