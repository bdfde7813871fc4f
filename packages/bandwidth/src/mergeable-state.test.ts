import { deflateRawSync, inflateRawSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, createRandom, hasErrorCode, isMergeableAnalyzer, type PacketObservation } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { BandwidthAnalyzer, createBandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
import type { BandwidthReport } from "./bandwidth-report.js";
import type { BandwidthAnalyzerState } from "./bandwidth-state.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { arenaDefinition, recordEvents, replayEvents, type RecordedEvent } from "./test-support/index.js";

const reencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);
/** Small bounds so that both samples (trace blocks, compression datagrams) really thin out and the merge must redo it. */
const options: BandwidthOptions = {
  reencoder,
  tolerances: { x: 0.05, y: 0.05, z: 0.05 },
  maxRetainedMessages: 6000,
  maxCompressionSamplePackets: 600,
  relevanceRadius: 40,
};

let events: RecordedEvent[] = [];
let capture: Uint8Array;
let single: BandwidthReport;
let singleJson = "";

function run(part: readonly RecordedEvent[], shift = 0, with_: BandwidthOptions = options): BandwidthAnalyzer {
  const analyzer = createBandwidthAnalyzer(with_);
  replayEvents(analyzer, part, shift);
  return analyzer;
}

/** A saved state as another process would read it (JSON). */
function throughJson(state: BandwidthAnalyzerState): BandwidthAnalyzerState {
  return JSON.parse(JSON.stringify(state)) as BandwidthAnalyzerState;
}

beforeAll(async () => {
  const match = simulateMatchToMemory({ seed: 11, players: 8, durationMs: 12_000 });
  capture = match.pcapng;
  events = await recordEvents({ sources: [match.pcapng], decoder: createArenaEncoder().protocol, serverPorts: [7777] });
  single = run(events).finish();
  singleJson = JSON.stringify(single);
}, 300_000);

describe("BandwidthAnalyzer mergeable state", () => {
  it("is a MergeableAnalyzer whose saved state survives JSON and merges back into the same report", () => {
    const analyzer = run(events);
    expect(isMergeableAnalyzer(analyzer)).toBe(true);
    const state = analyzer.saveState();
    const text = JSON.stringify(state);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(JSON.parse(text)))); // plain JSON
    // The small bounds made both samples thin out.
    expect(state.trace.threshold).toBeLessThan(2 ** 32);
    expect(state.observer.sample.level).toBeGreaterThan(0);
    const merged = createBandwidthAnalyzer(options);
    merged.mergeState(throughJson(state), { packetIndexOffset: 0 });
    expect(JSON.stringify(merged.finish())).toBe(singleJson);
    // saveState then finish on the saving analyzer gives the one-pass report too.
    expect(JSON.stringify(analyzer.finish())).toBe(singleJson);
  }, 300_000);

  for (const groups of [2, 3]) {
    it(`disjoint sessions split into ${groups} random groups merge byte for byte, in any merge order (4 seeds)`, () => {
      const sessions = [...new Set(events.map((event) => event.sessionId))].sort();
      expect(sessions.length).toBeGreaterThanOrEqual(8);
      for (let seed = 1; seed <= 4; seed++) {
        const random = createRandom(seed * 97 + groups);
        const groupOf = new Map(sessions.map((session) => [session, Math.floor(random.next() * groups)]));
        const states = Array.from({ length: groups }, (_, group) => throughJson(run(events.filter((event) => groupOf.get(event.sessionId) === group)).saveState()));
        // Shards arrive in any order.
        const order = states.map((_, index) => index).sort(() => random.next() - 0.5);
        const merged = createBandwidthAnalyzer(options);
        for (const index of order) merged.mergeState(states[index]!, { packetIndexOffset: 0 });
        expect(JSON.stringify(merged.finish()), `seed ${seed}, order ${order.join(",")}`).toBe(singleJson);
      }
    }, 300_000);
  }

  it("a rotation cut: counts, bytes, bins, duplicates exact; the rest measured", () => {
    const cutUs = events[Math.floor(events.length * 0.45)]!.tUs;
    const first = events.filter((event) => event.tUs < cutUs);
    const second = events.filter((event) => event.tUs >= cutUs);
    const firstPackets = first.filter((event) => event.kind === "packet").length;
    expect(second[0]!.packetIndex).toBe(firstPackets);
    const merged = createBandwidthAnalyzer(options);
    merged.mergeState(throughJson(run(first).saveState()), { packetIndexOffset: 0 });
    merged.mergeState(throughJson(run(second, -firstPackets).saveState()), { packetIndexOffset: firstPackets });
    const report = merged.finish();
    for (const key of ["totals", "bySession", "byChannel", "byMessageType", "packetSizes", "perMinute", "byMessageTypeTimeline", "captureDuplicates", "anomalies"] as const) {
      expect(report[key], key).toEqual(single[key]);
    }
    const exactIds = ["bandwidth.duplicates", "bandwidth.aggregation"];
    for (const id of exactIds) expect(report.recommendations.find((entry) => entry.id === id), id).toEqual(single.recommendations.find((entry) => entry.id === id));
    // Same decoded messages in both: the trace, the compression sample and every trial are the one pass's.
    expect(JSON.stringify(report)).toBe(singleJson);
  }, 300_000);

  it("a rotation of the capture file itself (decoder restarted on the second file): counts, bytes, bins, duplicates exact; the rest measured", async () => {
    const cutNs = BigInt(Math.round(events[Math.floor(events.length * 0.55)]!.tUs)) * 1000n;
    const [first, second, firstPackets] = splitPcapng(capture, cutNs);
    const pass = async (part: Uint8Array): Promise<BandwidthAnalyzerState> => {
      const analyzer = createBandwidthAnalyzer(options);
      await runCapturePipeline({ sources: [part], decoder: createArenaEncoder().protocol, serverPorts: [7777], analyzers: [analyzer] });
      return throughJson(analyzer.saveState());
    };
    const merged = createBandwidthAnalyzer(options);
    merged.mergeState(await pass(first), { packetIndexOffset: 0 });
    merged.mergeState(await pass(second), { packetIndexOffset: firstPackets });
    const report = merged.finish();
    for (const key of ["totals", "bySession", "byChannel", "byMessageType", "packetSizes", "perMinute", "byMessageTypeTimeline", "captureDuplicates", "anomalies", "compression"] as const) {
      expect(report[key], key).toEqual(single[key]);
    }
    for (const id of ["bandwidth.duplicates", "bandwidth.aggregation", "bandwidth.compression"]) {
      expect(report.recommendations.find((entry) => entry.id === id), id).toEqual(single.recommendations.find((entry) => entry.id === id));
    }
    const differing = (Object.keys(single) as (keyof BandwidthReport)[]).filter((key) => JSON.stringify(report[key]) !== JSON.stringify(single[key]));
    const savings = (entry: BandwidthReport) => entry.recommendations.map((recommendation) => `${recommendation.id} ${(recommendation.savingsRatio * 100).toFixed(3)}%`).join(", ");
    console.log(`file rotation at ${firstPackets} packets: parts differing from one pass: ${differing.join(", ") || "none"}\n  one pass: ${savings(single)}\n  merged:   ${savings(report)}`);
  }, 300_000);

  it("rejects hostile states with E_BAD_PARTIAL (or E_PARTIAL_MISMATCH for other options) and stays unchanged", () => {
    const good = throughJson(run(events.slice(0, 4000)).saveState());
    const analyzer = createBandwidthAnalyzer(options);
    analyzer.mergeState(good, { packetIndexOffset: 0 });
    const before = JSON.stringify(analyzer.saveState());
    const mutate = (change: (state: Record<string, any>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(good)) as Record<string, any>;
      change(copy);
      return copy;
    };
    /** Changes the (deflated) retained message list. */
    const mutateMessages = (change: (messages: any[]) => any): unknown =>
      mutate((state) => {
        const messages = JSON.parse(inflateRawSync(Buffer.from(state.trace.messages, "base64")).toString("utf8")) as any[];
        state.trace.messages = deflateRawSync(JSON.stringify(change(messages) ?? messages)).toString("base64");
      });
    const hostile: [string, unknown][] = [
      ["{}", JSON.parse(JSON.stringify({}))],
      ["null", null],
      ["an array", []],
      ["wrong version", mutate((state) => (state.stateVersion = 99))],
      ["wrong analysis", mutate((state) => (state.analysis = "latency"))],
      ["missing field", mutate((state) => delete state.accounting.packets)],
      ["wrong type", mutate((state) => (state.accounting.wireBytes = "12"))],
      ["negative count", mutate((state) => (state.observer.duplicatePackets = -1))],
      ["extra field", mutate((state) => (state.accounting.extra = 1))],
      ["examples over 20", mutate((state) => (state.observer.duplicateExamples = Array.from({ length: 21 }, (_, index) => index)))],
      ["messages over the bound", mutateMessages((messages) => Array.from({ length: 6001 }, () => messages[0]))],
      ["messages not base64", mutate((state) => (state.trace.messages = "@@@@"))],
      ["messages not deflated", mutate((state) => (state.trace.messages = Buffer.from("not deflate at all").toString("base64")))],
      ["messages not a list", mutate((state) => (state.trace.messages = deflateRawSync("{}").toString("base64")))],
      ["message not a tuple", mutateMessages((messages) => void (messages[0] = { session: 0 }))],
      ["samples over the bound", mutate((state) => (state.observer.sample.samples = Array.from({ length: 601 }, () => state.observer.sample.samples[0])))],
      ["window over 32", mutate((state) => (state.observer.streams[0].recent = Array.from({ length: 33 }, () => [1, 1, 1, -1, 0])))],
      ["bad base64", mutate((state) => (state.observer.sample.samples[0].payload = "!!!"))],
      ["dangling session reference", mutateMessages((messages) => void (messages[0][0] = 999))],
      ["dangling type reference", mutateMessages((messages) => void (messages[0][4] = 999))],
      ["bad tagged value", mutateMessages((messages) => void (messages[0][6] = { value: "\u0001q" }))],
      ["bad bigint", mutateMessages((messages) => void (messages[0][6] = { value: "\u0001n12x" }))],
      ["bad bytes", mutateMessages((messages) => void (messages[0][6] = { value: "\u0001b%%" }))],
      ["bad number tag", mutateMessages((messages) => void (messages[0][6] = { value: "\u0001fabc" }))],
      ["field named __proto__", mutateMessages((messages) => void (messages[0][6] = JSON.parse('{"__proto__": 1}')))],
      ["too deep", mutateMessages((messages) => void (messages[0][6] = { value: JSON.parse("[".repeat(100) + "]".repeat(100)) }))],
      ["fields not a record", mutateMessages((messages) => void (messages[0][6] = [1, 2]))],
      ["bad role", mutateMessages((messages) => void (messages[0][7] = { sequence: "x" }))],
      ["unknown role", mutateMessages((messages) => void (messages[0][7] = { surprise: 1 }))],
      ["roles not a record", mutateMessages((messages) => void (messages[0][7] = 5))],
      ["blocks above the threshold", mutate((state) => (state.trace.threshold = 0))],
      ["capped with several blocks", mutate((state) => (state.trace.capped = true))],
      ["trace times missing", mutate((state) => (state.trace.firstUs = null))],
      ["trace times reversed", mutate((state) => (state.trace.firstUs = state.trace.lastUs + 1))],
      ["message outside the trace times", mutate((state) => (state.trace.lastUs = state.trace.firstUs))],
      ["fewer offered than retained", mutate((state) => (state.trace.offered = 1))],
      ["fewer datagrams offered than sampled", mutate((state) => (state.observer.sample.offered = 0))],
      ["messages out of order", mutateMessages((messages) => messages.reverse())],
      ["first after last", mutate((state) => (state.accounting.streams[0].firstUs = state.accounting.streams[0].lastUs + 1))],
      ["payload size out of range", mutate((state) => (state.accounting.payloadSizes = [[70000, 1]]))],
    ];
    for (const [label, state] of hostile) {
      let error: unknown;
      try {
        analyzer.mergeState(state as BandwidthAnalyzerState, { packetIndexOffset: 0 });
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, ErrorCode.badPartial), `${label}: ${String(error)}`).toBe(true);
      expect((error as Error).message, label).toMatch(/^bandwidth/);
      expect(JSON.stringify(analyzer.saveState()), label).toBe(before);
    }
    expect(() => analyzer.mergeState(good, { packetIndexOffset: -1 })).toThrow(/packetIndexOffset/);
    const otherMtu = createBandwidthAnalyzer({ ...options, mtuBytes: 1400 });
    let mismatch: unknown;
    try {
      otherMtu.mergeState(good, { packetIndexOffset: 0 });
    } catch (caught) {
      mismatch = caught;
    }
    expect(hasErrorCode(mismatch, ErrorCode.partialMismatch)).toBe(true);
    expect(JSON.stringify(analyzer.saveState())).toBe(before);
    analyzer.finish();
    expect(() => analyzer.mergeState(good, { packetIndexOffset: 0 })).toThrow(/after finish/);
  }, 300_000);

  it("an empty pass saves and merges into the empty report", () => {
    const empty = createBandwidthAnalyzer(options);
    const merged = createBandwidthAnalyzer(options);
    merged.mergeState(throughJson(empty.saveState()), { packetIndexOffset: 0 });
    merged.mergeState(throughJson(createBandwidthAnalyzer(options).saveState()), { packetIndexOffset: 0 });
    expect(JSON.stringify(merged.finish())).toBe(JSON.stringify(createBandwidthAnalyzer(options).finish()));
  });

  it("keeps byte arrays, bigints and non-finite numbers of retained fields through JSON", () => {
    const analyzer = createBandwidthAnalyzer({ maxCompressionSamplePackets: 4 });
    const base = { sessionId: "s", direction: "serverToClient" as const, indexInPacket: 0, type: "t", byteLength: 10, packetWireLength: 52 };
    const fields = { bytes: new Uint8Array([1, 2, 255]), big: 2n ** 70n, nan: Number.NaN, inf: Number.NEGATIVE_INFINITY, zero: -0, text: "\u0001odd", nested: [{ a: 1 }, null, true] };
    for (let index = 0; index < 3; index++) {
      const packet: PacketObservation = { sessionId: "s", direction: "serverToClient", tUs: 1e15 + index * 1000, packetIndex: index, wireLength: 52, payloadLength: 10, frameCount: 1, payload: new Uint8Array(10).fill(index) };
      analyzer.onPacket(packet);
      analyzer.onMessage({ ...base, tUs: packet.tUs, packetIndex: index, fields, roles: { sequence: 2n ** 64n + BigInt(index), position: { x: 1, y: 2, z: 3 } } });
    }
    analyzer.onAnomaly({ sessionId: "s", direction: "serverToClient", tUs: 1e15, packetIndex: 0, code: "E_TRUNCATED", detail: "x" });
    const merged = createBandwidthAnalyzer({ maxCompressionSamplePackets: 4 });
    merged.mergeState(throughJson(analyzer.saveState()), { packetIndexOffset: 0 });
    expect(JSON.stringify(merged.finish())).toBe(JSON.stringify(analyzer.finish()));
    const again = createBandwidthAnalyzer({ maxCompressionSamplePackets: 4 });
    again.mergeState(throughJson(merged.saveState()), { packetIndexOffset: 0 });
    const retained = (again as unknown as { trace: { messages: { fields: Record<string, unknown>; roles: Record<string, unknown> }[] } }).trace.messages[0]!;
    expect(retained.fields).toEqual(fields);
    expect(Object.is(retained.fields.zero, -0)).toBe(true);
    expect(retained.roles.sequence).toBe(2n ** 64n);
    expect(merged.finish().anomalies).toEqual({ E_TRUNCATED: 1 });
  });
});

/** Splits a little-endian pcapng (SHB, IDB, EPBs with nanosecond stamps, as @tickscope/sim writes) at a time: two files with the same header; also the packets of the first. */
function splitPcapng(bytes: Uint8Array, cutNs: bigint): [Uint8Array, Uint8Array, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: Uint8Array[] = [];
  const first: Uint8Array[] = [];
  const second: Uint8Array[] = [];
  for (let offset = 0; offset + 12 <= bytes.length; ) {
    const type = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    const block = bytes.subarray(offset, offset + length);
    if (type === 6) {
      const stampNs = (BigInt(view.getUint32(offset + 12, true)) << 32n) | BigInt(view.getUint32(offset + 16, true));
      (stampNs < cutNs ? first : second).push(block);
    } else if (first.length === 0 && second.length === 0) {
      header.push(block);
    }
    offset += length;
  }
  const join = (blocks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat([...header, ...blocks]));
  return [join(first), join(second), first.length];
}
