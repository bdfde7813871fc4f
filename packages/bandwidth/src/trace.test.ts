import { describe, expect, it } from "vitest";
import type { GameMessage } from "@tickscope/core";
import { LayoutReencoder } from "./layout-reencoder.js";
import { runTrial } from "./reencoding-trials.js";
import { blockSavingsInterval } from "./block-savings-interval.js";
import { RetainedTrace, TRACE_BLOCK_US, TRACE_WARMUP_US, startsAfterGap } from "./trace.js";
import { measureInterpolationError } from "./update-rate.js";

const ORIGIN_US = 1_700_000_000_000_000;

function message(index: number, tUs: number, fields: GameMessage["fields"] = { value: index % 7 }, roles: GameMessage["roles"] = {}): GameMessage {
  return { sessionId: "s", direction: "serverToClient", tUs, packetIndex: index, indexInPacket: 0, type: "snap", byteLength: 3, packetWireLength: 45, fields, roles };
}

/** `seconds` of messages at `perSecond` per second. */
function offerMatch(trace: RetainedTrace, seconds: number, perSecond: number): void {
  for (let index = 0; index < seconds * perSecond; index++) trace.offer(message(index, ORIGIN_US + Math.floor((index * 1e6) / perSecond)));
}

describe("RetainedTrace", () => {
  it("keeps every message while they fit (one run, exact duration)", () => {
    const trace = new RetainedTrace(1000, 1e6);
    offerMatch(trace, 5, 100);
    expect(trace.messages.length).toBe(500);
    expect(trace.truncated).toBe(false);
    expect(trace.sampled).toBe(false);
    expect(trace.markWarmup()).toBe(0);
    expect(trace.sampledBlocks).toEqual([0, 1, 2, 3, 4]);
    expect(trace.offeredBlocks).toBe(5);
    expect(trace.durationUs).toBe(trace.messages[499]!.tUs - ORIGIN_US);
    expect(trace.offeredSessions).toBe(1);
  });

  it("lists each block once when its messages come back after another block's (capture order is not time order)", () => {
    const trace = new RetainedTrace(1000, 1e6);
    const seconds = [0, 0, 2, 2, 0, 1, 1, 2, 0];
    seconds.forEach((second, index) => trace.offer(message(index, ORIGIN_US + second * TRACE_BLOCK_US + index)));
    expect(trace.sampledBlocks).toEqual([0, 1, 2]);
    expect(trace.messages.length).toBe(seconds.length);
  });

  it("samples whole one-second blocks spread over the capture, deterministically, within the bounds", () => {
    const trace = new RetainedTrace(1000, 1e6);
    offerMatch(trace, 60, 100);
    expect(trace.truncated).toBe(true);
    expect(trace.sampled).toBe(true);
    expect(trace.messages.length).toBeLessThanOrEqual(1000);
    const blocks = trace.sampledBlocks;
    // Bottom-k fills the bound: about ten whole blocks of 100 messages.
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    expect(trace.messages.length).toBe(blocks.length * 100);
    expect(blocks[blocks.length - 1]! - blocks[0]!).toBeGreaterThan(20);
    expect(trace.offeredBlocks).toBe(60);
    const again = new RetainedTrace(1000, 1e6);
    offerMatch(again, 60, 100);
    expect(again.sampledBlocks).toEqual(blocks);

    const warmup = trace.markWarmup();
    const afterGap = blocks.filter((block, index) => startsAfterGap(index === 0 ? undefined : blocks[index - 1], block)).length;
    expect(warmup).toBe(afterGap * (100 * TRACE_WARMUP_US) / TRACE_BLOCK_US);
    expect(trace.durationUs).toBe(blocks.length * TRACE_BLOCK_US - afterGap * TRACE_WARMUP_US);
    expect(trace.messages.filter((entry) => entry.warmup === true).every((entry) => (entry.tUs - ORIGIN_US) % TRACE_BLOCK_US < TRACE_WARMUP_US)).toBe(true);
  });

  it("keeps entity positions only when asked (interest management); otherwise only their presence", () => {
    const roles = { entities: [{ entityId: 1, position: { x: 1, y: 2, z: 3 } }] };
    const withPositions = new RetainedTrace(10, 1e6);
    withPositions.offer(message(0, ORIGIN_US, { value: 1 }, roles));
    expect(withPositions.messages[0]!.roles.entities).toEqual(roles.entities);
    const presenceOnly = new RetainedTrace(10, 1e6, TRACE_BLOCK_US, false);
    presenceOnly.offer(message(0, ORIGIN_US, { value: 1 }, roles));
    expect(presenceOnly.messages[0]!.roles.entities).toEqual([]);
    presenceOnly.offer(message(1, ORIGIN_US + 1, { value: 1 }));
    expect(presenceOnly.messages[1]!.roles.entities).toBeUndefined();
  });

  it("copies the field tree (byte arrays too: views into the datagram), and counts leaves of nested trees", () => {
    const trace = new RetainedTrace(10, 1e6);
    const plain = { a: 1, nested: { list: [1, 2, { b: "x", c: null }], big: 2n }, flag: true };
    trace.offer(message(0, ORIGIN_US, plain));
    expect(trace.messages[0]!.fields).not.toBe(plain);
    expect(trace.messages[0]!.fields).toEqual(plain);
    const datagram = new Uint8Array([9, 8, 7, 6]);
    const withBytes = { a: 1, list: [{ data: datagram.subarray(1, 3) }] };
    trace.offer(message(1, ORIGIN_US + 1, withBytes));
    const kept = trace.messages[1]!;
    expect(kept.fields).not.toBe(withBytes);
    datagram.fill(0);
    expect(kept.fields).toEqual({ a: 1, list: [{ data: new Uint8Array([8, 7]) }] });
    // Stream keys are built once per session direction and type: every kept message shares the strings.
    trace.offer(message(2, ORIGIN_US + 2));
    expect(trace.messages[2]!.streamKey).toBe("s\u0000serverToClient\u0000snap");
    expect(trace.messages[2]!.directionKey).toBe("s\u0000serverToClient");
    // Leaves: plain has a, list[0], list[1], b, c, big, flag = 7; withBytes has a, data = 2; the third 1 (value).
    const bound = new RetainedTrace(10, 9);
    bound.offer(message(0, ORIGIN_US, plain));
    bound.offer(message(1, ORIGIN_US + 1, withBytes));
    expect(bound.messages.length).toBe(2);
    bound.offer(message(2, ORIGIN_US + 2));
    // 10 leaves are over the bound of 9: the block alone is over it and keeps its first messages that fit.
    expect(bound.messages.length).toBe(2);
    expect(bound.truncated).toBe(true);
  });

  it("gives the same sample when its messages are read while it is still fed (kept fields built early, later ones from the arena)", () => {
    const fields = (index: number): GameMessage["fields"] => ({ value: index, entities: Array.from({ length: index % 4 }, (_, entity) => ({ id: entity, x: index / 8 })) });
    const feed = (trace: RetainedTrace, from: number, to: number): void => {
      for (let index = from; index < to; index++) trace.offer(message(index, ORIGIN_US + Math.floor((index * 1e6) / 100), fields(index)));
    };
    const straight = new RetainedTrace(1000, 3000);
    feed(straight, 0, 6000);
    const interrupted = new RetainedTrace(1000, 3000);
    feed(interrupted, 0, 700);
    expect(interrupted.messages.length).toBe(700);
    feed(interrupted, 700, 6000);
    expect(interrupted.truncated).toBe(true);
    const keptOf = (trace: RetainedTrace): unknown[] => trace.messages.map((entry) => [entry.packetIndex, entry.fields]);
    expect(keptOf(interrupted)).toEqual(keptOf(straight));
    expect(straight.messages.every((entry) => JSON.stringify(entry.fields) === JSON.stringify(fields(entry.packetIndex)))).toBe(true);
    // A block alone over the bounds after an early read: its first messages that fit.
    const capped = new RetainedTrace(50, 1e6);
    feed(capped, 0, 30);
    expect(capped.messages.length).toBe(30);
    feed(capped, 30, 90);
    expect(capped.messages.map((entry) => entry.packetIndex)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(capped.messages[49]!.fields).toEqual(fields(49));
  });

  it("closes on a block larger than the bounds on its own (its first messages only)", () => {
    const trace = new RetainedTrace(50, 1e6);
    offerMatch(trace, 3, 100);
    expect(trace.messages.length).toBe(50);
    expect(trace.truncated).toBe(true);
    expect(trace.sampled).toBe(false);
    expect(trace.offered).toBe(300);
    const leafBound = new RetainedTrace(1000, 20);
    offerMatch(leafBound, 1, 100);
    expect(leafBound.messages.length).toBe(20);
  });

  it("trials restart their streams after a gap and count no warm-up message; update rate never interpolates across a gap", () => {
    const reencoder = new LayoutReencoder([{ type: "snap", typeId: 1, typeIdBits: 8, fields: [{ name: "value", type: { kind: "uint", bits: 16 } }] }]);
    const trace = new RetainedTrace(1000, 1e6);
    for (let index = 0; index < 6000; index++) {
      const tUs = ORIGIN_US + Math.floor((index * 1e6) / 100);
      trace.offer(message(index, tUs, { value: 1000, x: index + 0.5 }, { position: { x: index, y: 0, z: 0 } }));
    }
    const warmup = trace.markWarmup();
    expect(warmup).toBeGreaterThan(0);
    const identity = runTrial(trace.messages, reencoder, { variant: {} });
    expect(identity.reencodedMessages).toBe(trace.messages.length - warmup);
    const delta = runTrial(trace.messages, reencoder, { variant: { delta: { baselineReferenceBits: 0 } } });
    // Every counted message has the last sent one as its baseline (warm-up supplied it after each gap).
    expect(delta.noBaseline).toBe(trace.sampledBlocks[0] === 0 ? 1 : 0);
    expect(delta.lastSentBaselines).toBe(trace.messages.length - warmup - delta.noBaseline);
    const interval = blockSavingsInterval(identity, delta, trace.offeredBlocks)!;
    expect(interval.sampledUnits).toBe(trace.sampledBlocks.length);
    expect(interval.low).toBeLessThanOrEqual(interval.high);
    // Positions grow by 1 per message: linear inside each run, but a jump across gaps if interpolated there.
    const rate = measureInterpolationError(trace.messages, ["snap"], 2, undefined, 10_000);
    expect(rate.measuredMessages).toBeGreaterThan(100);
    expect(rate.maxError).toBeLessThan(1e-6);
  });
});
