import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, hasErrorCode } from "@tickscope/core";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
import type { BandwidthAnalyzerState } from "./bandwidth-state.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { checkPlainFieldValue, decodeFieldValue, encodeFieldValue } from "./state-values.js";
import { arenaDefinition, recordEvents, replayEvents, type RecordedEvent } from "./test-support/index.js";

const reencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);
/** Small bounds: the trace thins out in each shard and again in the merge. */
const options: BandwidthOptions = { reencoder, tolerances: { x: 0.05, y: 0.05, z: 0.05 }, maxRetainedMessages: 6000, maxCompressionSamplePackets: 600, relevanceRadius: 40 };

/** What postMessage does to a state sent to another thread. */
function cloneAcrossThreads<T>(value: T): T {
  return structuredClone(value);
}

let events: RecordedEvent[] = [];
let singleJson = "";

function run(part: readonly RecordedEvent[]) {
  const analyzer = createBandwidthAnalyzer(options);
  replayEvents(analyzer, part, 0);
  return analyzer;
}

/** The transfer-form state of one shard, as another thread receives it (a structured clone). */
function transferState(part: readonly RecordedEvent[]): BandwidthAnalyzerState {
  return cloneAcrossThreads(run(part).saveState({ form: "transfer" }));
}

function expectBadPartial(action: () => void, path: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(hasErrorCode(error, ErrorCode.badPartial)).toBe(true);
    expect((error as Error).message).toMatch(path);
    return;
  }
  throw new Error("expected E_BAD_PARTIAL");
}

beforeAll(async () => {
  const match = simulateMatchToMemory({ seed: 11, players: 8, durationMs: 12_000 });
  events = await recordEvents({ sources: [match.pcapng], decoder: createArenaEncoder().protocol, serverPorts: [7777] });
  singleJson = JSON.stringify(run(events).finish());
}, 300_000);

describe("BandwidthAnalyzer transfer-form state (session-cut threads)", () => {
  it("keeps the retained messages as tuples of decoded values, and the compact form stays a packed string", () => {
    const transfer = run(events).saveState({ form: "transfer" });
    expect(Array.isArray(transfer.trace.messages)).toBe(true);
    expect((transfer.trace.messages as unknown[]).length).toBeGreaterThan(0);
    expect(typeof run(events).saveState().trace.messages).toBe("string");
    expect(typeof run(events).saveState({ form: "compact" }).trace.messages).toBe("string");
  }, 300_000);

  it("disjoint session shards merge byte for byte into the one-pass report, transfer and compact states mixed", () => {
    const sessions = [...new Set(events.map((event) => event.sessionId))].sort();
    const shardOf = new Map(sessions.map((session, index) => [session, index % 3]));
    const parts = [0, 1, 2].map((shard) => events.filter((event) => shardOf.get(event.sessionId) === shard));
    const merged = createBandwidthAnalyzer(options);
    merged.mergeState(transferState(parts[0]!), { packetIndexOffset: 0 });
    merged.mergeState(JSON.parse(JSON.stringify(run(parts[1]!).saveState())) as BandwidthAnalyzerState, { packetIndexOffset: 0 });
    merged.mergeState(transferState(parts[2]!), { packetIndexOffset: 0 });
    expect(JSON.stringify(merged.finish())).toBe(singleJson);
    // a shard's own analyzer continued with the others' transfer states (what the main thread does)
    const main = run(parts[0]!);
    main.mergeState(transferState(parts[1]!), { packetIndexOffset: 0 });
    main.mergeState(transferState(parts[2]!), { packetIndexOffset: 0 });
    expect(JSON.stringify(main.finish())).toBe(singleJson);
  }, 300_000);

  it("checks every retained message of a transfer state by the compact form's rules, before merging anything", () => {
    const good = transferState(events);
    const withMessage = (change: (message: unknown[]) => void): BandwidthAnalyzerState => {
      const state = cloneAcrossThreads(good);
      change((state.trace.messages as unknown[][])[0]!);
      return state;
    };
    const cases: [BandwidthAnalyzerState, RegExp][] = [
      [withMessage((message) => (message[0] = 999)), /messages\[0\]\[0\]: no session/],
      [withMessage((message) => (message[1] = 2)), /messages\[0\]: not a retained message/],
      [withMessage((message) => (message[6] = [1, 2])), /messages\[0\]\[6\]: fields must be a record/],
      [withMessage((message) => (message[6] = { a: new Map() })), /messages\[0\]\[6\]\.a: not a decoded field value/],
      [withMessage((message) => (message[6] = { a: () => 1 })), /messages\[0\]\[6\]\.a: unexpected function/],
      [withMessage((message) => (message[7] = { sequence: "7" })), /messages\[0\]\[7\]\.sequence: not a role/],
      [withMessage((message) => (message[7] = { position: { x: 1 } })), /messages\[0\]\[7\]\.position: not a role/],
    ];
    for (const [state, path] of cases) {
      const analyzer = createBandwidthAnalyzer(options);
      expectBadPartial(() => analyzer.mergeState(state, { packetIndexOffset: 0 }), path);
      // nothing was merged: the good state still gives the one-pass report
      analyzer.mergeState(cloneAcrossThreads(good), { packetIndexOffset: 0 });
      expect(JSON.stringify(analyzer.finish())).toBe(singleJson);
    }
    const notList = cloneAcrossThreads(good) as unknown as { trace: { messages: unknown } };
    notList.trace.messages = { length: 1 };
    expectBadPartial(() => createBandwidthAnalyzer(options).mergeState(notList as unknown as BandwidthAnalyzerState, { packetIndexOffset: 0 }), /trace\/messages/);
    const tooMany = cloneAcrossThreads(good);
    (tooMany.trace.messages as unknown[]).push(...(tooMany.trace.messages as unknown[]));
    expectBadPartial(() => createBandwidthAnalyzer(options).mergeState(tooMany, { packetIndexOffset: 0 }), /trace\.(offered|messages)/);
  }, 300_000);
});

describe("checkPlainFieldValue", () => {
  it("counts leaves as the compact form's decoding does and returns the value itself", () => {
    const value = { a: 1, b: [true, null, "x", 2n, new Uint8Array([1, 2])], c: { d: Number.NaN, e: -0 } };
    const leaves = { count: 0 };
    expect(checkPlainFieldValue(value, "v", leaves)).toBe(value);
    expect(leaves.count).toBe(8);
    const decoded = { count: 0 };
    decodeFieldValue(encodeFieldValue(value), "v", decoded);
    expect(decoded.count).toBe(8);
  });

  it("rejects nesting deeper than a saved value may be, a __proto__ field and values no decoder makes", () => {
    let deep: unknown = 1;
    for (let depth = 0; depth < 70; depth++) deep = [deep];
    expectBadPartial(() => checkPlainFieldValue(deep, "v"), /nested deeper than 64/);
    expectBadPartial(() => checkPlainFieldValue(JSON.parse('{"__proto__": 1}'), "v"), /v: field named __proto__/);
    expectBadPartial(() => checkPlainFieldValue({ a: [new Date(0)] }, "v"), /v\.a\[0\]: not a decoded field value/);
    expectBadPartial(() => checkPlainFieldValue({ a: Symbol("s") }, "v"), /v\.a: unexpected symbol/);
    expectBadPartial(() => checkPlainFieldValue({ a: new Float64Array(2) }, "v"), /v\.a: not a decoded field value/);
  });
});
