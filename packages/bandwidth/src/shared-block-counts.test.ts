import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, createRandom, hasErrorCode } from "@tickscope/core";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer, type BandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { addSharedBlockCounts, createSharedBlockCounts, sharedSampleBound } from "./shared-block-counts.js";
import { arenaDefinition, recordEvents, replayEvents, type RecordedEvent } from "./test-support/index.js";

const reencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);
/** Small bounds: the trace thins out in each shard and again in the merge. */
const options: BandwidthOptions = { reencoder, tolerances: { x: 0.05, y: 0.05, z: 0.05 }, maxRetainedMessages: 3000, maxCompressionSamplePackets: 600, relevanceRadius: 40 };

let events: RecordedEvent[] = [];
let singleJson = "";

function retainedOf(analyzer: BandwidthAnalyzer): number {
  return (analyzer.saveState({ form: "transfer" }).trace.messages as unknown[]).length;
}

beforeAll(async () => {
  const match = simulateMatchToMemory({ seed: 23, players: 8, durationMs: 12_000 });
  events = await recordEvents({ sources: [match.pcapng], decoder: createArenaEncoder().protocol, serverPorts: [7777] });
  const single = createBandwidthAnalyzer(options);
  replayEvents(single, events);
  singleJson = JSON.stringify(single.finish());
}, 300_000);

describe("bandwidth analyzers sharing block counts (session-cut threads)", () => {
  for (const shards of [2, 3]) {
    it(`${shards} session shards fed in random interleavings merge into the one-pass report, each retaining less than alone (3 seeds)`, () => {
      const sessions = [...new Set(events.map((event) => event.sessionId))].sort();
      for (let seed = 1; seed <= 3; seed++) {
        const random = createRandom(seed * 31 + shards);
        const shardOf = new Map(sessions.map((session, index) => [session, index % shards]));
        const parts = Array.from({ length: shards }, (_, shard) => events.filter((event) => shardOf.get(event.sessionId) === shard));
        const table = createSharedBlockCounts(64);
        const sharing = parts.map(() => createBandwidthAnalyzer({ ...options, sharedBlockCounts: table }));
        // threads run at their own pace: feed the shards in a random interleaving of their own event orders
        const next = parts.map(() => 0);
        for (let remaining = events.length; remaining > 0; remaining--) {
          let shard = Math.floor(random.next() * shards);
          while (next[shard]! >= parts[shard]!.length) shard = (shard + 1) % shards;
          replayEvents(sharing[shard]!, [parts[shard]![next[shard]!]!]);
          next[shard]! += 1;
        }
        const alone = parts.map((part) => {
          const analyzer = createBandwidthAnalyzer(options);
          replayEvents(analyzer, part);
          return analyzer;
        });
        const retainedSharing = sharing.reduce((sum, analyzer) => sum + retainedOf(analyzer), 0);
        const retainedAlone = alone.reduce((sum, analyzer) => sum + retainedOf(analyzer), 0);
        expect(retainedSharing, `seed ${seed}`).toBeLessThan(retainedAlone);
        const merged = createBandwidthAnalyzer(options);
        for (const analyzer of [...sharing].reverse()) merged.mergeState(structuredClone(analyzer.saveState({ form: "transfer" })), { packetIndexOffset: 0 });
        expect(JSON.stringify(merged.finish()), `seed ${seed}`).toBe(singleJson);
      }
    }, 300_000);
  }

  it("one analyzer with a table of its own gives the report it gives without one", () => {
    const analyzer = createBandwidthAnalyzer({ ...options, sharedBlockCounts: createSharedBlockCounts() });
    replayEvents(analyzer, events);
    expect(JSON.stringify(analyzer.finish())).toBe(singleJson);
  }, 300_000);

  it("rejects a table that is not 3 Int32 cells per block", () => {
    for (const bad of [new Int32Array(4), new Int32Array(0), new Float64Array(3)]) {
      try {
        createBandwidthAnalyzer({ ...options, sharedBlockCounts: bad as Int32Array });
        throw new Error("accepted");
      } catch (error) {
        expect(hasErrorCode(error, ErrorCode.invalidOption)).toBe(true);
      }
    }
    expect(() => createSharedBlockCounts(0)).toThrow(RangeError);
  });
});

describe("sharedSampleBound", () => {
  const identity = (block: number): number => block;

  it("is the lowest hash where the counts in ascending hash order exceed a bound, 2^32 when they never do", () => {
    const table = createSharedBlockCounts(8);
    expect(sharedSampleBound(table, identity, 10, 100)).toBe(2 ** 32);
    addSharedBlockCounts(table, 5, 4, 10);
    addSharedBlockCounts(table, 2, 4, 10);
    addSharedBlockCounts(table, 9, 4, 10);
    expect(sharedSampleBound(table, identity, 10, 100)).toBe(9);
    // counts of one block from two threads add up
    addSharedBlockCounts(table, 2, 3, 0);
    expect(sharedSampleBound(table, identity, 10, 100)).toBe(5);
    // the leaf bound alone
    expect(sharedSampleBound(table, identity, 1000, 15)).toBe(5);
    // blocks of one hash count together
    expect(sharedSampleBound(table, () => 7, 10, 100)).toBe(7);
  });

  it("leaves out what it cannot count (a full table, a block outside 31 bits, nothing to add): the bound only rises", () => {
    const table = createSharedBlockCounts(2);
    addSharedBlockCounts(table, 1, 5, 0);
    addSharedBlockCounts(table, 3, 5, 0); // same start slot as 1: the next one
    addSharedBlockCounts(table, 4, 50, 0); // full
    addSharedBlockCounts(table, -1, 50, 0);
    addSharedBlockCounts(table, 2 ** 31, 50, 0);
    addSharedBlockCounts(table, 0.5, 50, 0);
    addSharedBlockCounts(table, 6, 0, 0);
    expect(sharedSampleBound(table, identity, 9, 100)).toBe(3);
    expect(sharedSampleBound(table, identity, 10, 100)).toBe(2 ** 32);
  });
});
