import { describe, expect, it } from "vitest";
import type { GameMessage } from "@tickscope/core";
import { createSharedBlockCounts } from "./shared-block-counts.js";
import { RetainedTrace } from "./trace.js";

const ORIGIN_US = 1_700_000_000_000_000;

/** Fields that fail the test when read: what a decoder that skipped them would have left. */
const UNREAD_FIELDS = new Proxy({} as GameMessage["fields"], {
  get() {
    throw new Error("fields of a declined datagram were read");
  },
  ownKeys() {
    throw new Error("fields of a declined datagram were read");
  },
});

function message(index: number, tUs: number, sessionId: string, fields: GameMessage["fields"]): GameMessage {
  return { sessionId, direction: "serverToClient", tUs, packetIndex: index, indexInPacket: 0, type: "snap", byteLength: 3, packetWireLength: 45, fields, roles: {} };
}

/** Offers `seconds` of messages at `perSecond`, asking `wantsFields` first; returns how many it declined. */
function offerAsking(trace: RetainedTrace, seconds: number, perSecond: number, sessionId = "s"): number {
  let declined = 0;
  for (let index = 0; index < seconds * perSecond; index++) {
    const tUs = ORIGIN_US + Math.floor((index * 1e6) / perSecond);
    const wanted = trace.wantsFields(tUs);
    if (!wanted) declined += 1;
    trace.offer(message(index, tUs, sessionId, wanted ? { value: index % 7 } : UNREAD_FIELDS));
  }
  return declined;
}

describe("RetainedTrace.wantsFields", () => {
  it("wants every message while the trace holds all of them", () => {
    const trace = new RetainedTrace(1000, 1e6);
    expect(offerAsking(trace, 5, 100)).toBe(0);
    expect(trace.messages).toHaveLength(500);
  });

  it("declines only messages the sample would not keep, and most of a long capture's", () => {
    const trace = new RetainedTrace(1000, 1e6);
    const declined = offerAsking(trace, 600, 100);
    // Every kept message's fields were decoded (a declined one's would throw when written or read here).
    expect(trace.messages.length).toBeGreaterThan(0);
    for (const kept of trace.messages) expect(kept.fields).toEqual({ value: kept.packetIndex % 7 });
    expect(declined).toBeGreaterThan(0.85 * 60_000);
    // The same sample as a trace fed every message's fields.
    const reference = new RetainedTrace(1000, 1e6);
    for (let index = 0; index < 60_000; index++) reference.offer(message(index, ORIGIN_US + Math.floor((index * 1e6) / 100), "s", { value: index % 7 }));
    expect(trace.sampledBlocks).toEqual(reference.sampledBlocks);
  });

  it("declines within the bound shared by the passes of one run", () => {
    const shared = createSharedBlockCounts();
    const first = new RetainedTrace(1000, 1e6, undefined, undefined, shared);
    const second = new RetainedTrace(1000, 1e6, undefined, undefined, shared);
    offerAsking(first, 300, 100, "a");
    const declined = offerAsking(second, 300, 100, "b");
    expect(declined).toBeGreaterThan(0.9 * 30_000);
    for (const kept of second.messages) expect(kept.fields).toEqual({ value: kept.packetIndex % 7 });
  });
});
