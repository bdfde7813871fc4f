import { describe, expect, it } from "vitest";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol } from "@tickscope/core/protocol";
import { simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition, type ProtocolDefinitionLike } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { arenaDefinition } from "./test-support/index.js";
import { RetainedTrace } from "./trace.js";
import type { GameMessage, PacketObservation } from "@tickscope/core";

/**
 * One pass over a simulated arena match: `later` decodes roles only where the
 * analyzer declines fields and lets the trace decode its sample at the end;
 * otherwise the pass decodes every field and the trace keeps them as offered.
 */
async function run(later: boolean, options: BandwidthOptions): Promise<{ report: string; state: string; declined: number; rolesOnlySnapshots: number }> {
  const definition = arenaDefinition();
  const match = simulateMatchToMemory({ seed: 11, players: 6, durationMs: 14_000 });
  const reencoder = new LayoutReencoder(layoutsFromDefinition(definition as unknown as ProtocolDefinitionLike).layouts);
  const full = compileProtocol(definition);
  let redecoded = 0;
  const analyzer = createBandwidthAnalyzer({
    ...options,
    reencoder,
    ...(later
      ? {
          decodeRetainedLater: {
            definition: definition as unknown as ProtocolDefinitionLike,
            decoder: {
              decodeFields: (payload: Uint8Array, context: Parameters<typeof full.decodeDatagramFields>[1]) => {
                redecoded += 1;
                return full.decodeDatagramFields(payload, context).messages;
              },
            },
          },
        }
      : {}),
  });
  let declined = 0;
  const decoder = later
    ? compileProtocol(definition, {
        fields: (context) => {
          const wanted = analyzer.wantsFields(context.tUs);
          if (!wanted) declined += 1;
          return wanted;
        },
      })
    : full;
  let rolesOnlySnapshots = 0;
  const counter = {
    name: "count",
    onMessage: (message: { type: string; fields: Record<string, unknown> }) => {
      if (message.type === "snapshot" && !Array.isArray(message.fields.entities)) rolesOnlySnapshots += 1;
      else if (message.type === "snapshot" && (message.fields.entities as unknown[]).some((entity) => !("health" in (entity as object)))) rolesOnlySnapshots += 1;
    },
    finish: () => null,
  };
  await runCapturePipeline({ sources: [match.pcapng], decoder, serverPorts: [7777], analyzers: [analyzer, counter], finishAnalyzers: false });
  const report = JSON.stringify(analyzer.finish());
  if (later) expect(redecoded).toBeGreaterThan(0);
  // the saved state holds the decoded sample (compact form: fields as JSON)
  const state = JSON.stringify(analyzer.saveState());
  return { report, state, declined, rolesOnlySnapshots };
}

describe("decoding the trace's sample at the end (decodeRetainedLater)", () => {
  it("gives the report and state of a pass that decodes every field, when the leaf bound thins the sample", async () => {
    // Small bounds: the sample is thinned many times while it fills, by the leaf-value bound first.
    const options: BandwidthOptions = { maxRetainedMessages: 2_000, maxRetainedLeafValues: 30_000, tolerances: { x: 0.05, y: 0.05, z: 0.05 } };
    const reference = await run(false, options);
    const later = await run(true, options);
    expect(reference.declined).toBe(0);
    expect(later.declined).toBeGreaterThan(1000);
    // the pass really decoded snapshots roles only (entities as roles, not element records)
    expect(later.rolesOnlySnapshots).toBeGreaterThan(100);
    expect(reference.rolesOnlySnapshots).toBe(0);
    const parsed = JSON.parse(reference.report) as { measuredWindow: { sampledBlocks: number; populationBlocks: number; messages: number } };
    expect(parsed.measuredWindow.sampledBlocks).toBeLessThan(parsed.measuredWindow.populationBlocks);
    expect(later.report).toBe(reference.report);
    expect(later.state).toBe(reference.state);
  }, 120_000);

  it("gives the same report when the message bound thins the sample", async () => {
    const options: BandwidthOptions = { maxRetainedMessages: 700, maxRetainedLeafValues: 1e9 };
    const reference = await run(false, options);
    const later = await run(true, options);
    expect(later.declined).toBeGreaterThan(1000);
    expect(later.report).toBe(reference.report);
  }, 120_000);
});

describe("decodeRetainedLater when one block alone is over the bounds", () => {
  it("keeps the block's first messages, as a pass that decodes every field does", async () => {
    const options: BandwidthOptions = { maxRetainedMessages: 45, maxRetainedLeafValues: 1e9 };
    const reference = await run(false, options);
    const later = await run(true, options);
    expect(JSON.parse(reference.report).notes.join(" ")).toContain("first 45 of");
    expect(later.report).toBe(reference.report);
    expect(later.state).toBe(reference.state);
  }, 120_000);

  it("declines an observed datagram's fields only once the sample has been thinned, and answers from the sample otherwise", () => {
    const definition = arenaDefinition();
    const full = compileProtocol(definition);
    const analyzer = createBandwidthAnalyzer({
      maxRetainedMessages: 1,
      decodeRetainedLater: { definition: definition as unknown as ProtocolDefinitionLike, decoder: { decodeFields: (payload, context) => full.decodeDatagramFields(payload, context).messages } },
    });
    const packet = (tUs: number, packetIndex: number): PacketObservation => ({ sessionId: "s", direction: "clientToServer", tUs, packetIndex, wireLength: 60, payloadLength: 4, frameCount: 1, payload: new Uint8Array(4) });
    const message = (tUs: number, packetIndex: number): GameMessage => ({
      sessionId: "s",
      direction: "clientToServer",
      tUs,
      packetIndex,
      indexInPacket: 0,
      type: "ping",
      byteLength: 4,
      packetWireLength: 60,
      fields: { pingId: packetIndex },
      roles: {},
    });
    // nothing thinned yet: every field is read as offered
    analyzer.onPacket(packet(2_000_000, 0));
    expect(analyzer.wantsFields(2_000_000)).toBe(true);
    analyzer.onMessage(message(2_000_000, 0));
    // two one-second blocks over the bound of one message: thinned
    analyzer.onPacket(packet(3_000_000, 1));
    expect(analyzer.wantsFields(3_000_000)).toBe(true);
    analyzer.onMessage(message(3_000_000, 1));
    analyzer.onPacket(packet(4_000_000, 2));
    expect(analyzer.wantsFields(4_000_000)).toBe(false);
    // the next datagram starts over until it is declined in turn
    analyzer.onMessage(message(4_000_000, 2));
    analyzer.onPacket({ ...packet(5_000_000, 3), payload: undefined });
    expect(analyzer.wantsFields(5_000_000)).toBe(analyzer["trace"].wantsFields(5_000_000));
  });
});

describe("decodeRetainedLater with the pass's own decoder", () => {
  it("wants every field once feeding ended, so the decoder that asks decodes the kept datagrams completely", async () => {
    const { generateArenaMatch } = await import("./test-support/index.js");
    const definition = arenaDefinition();
    const reports: string[] = [];
    const declines: number[] = [];
    for (const later of [false, true]) {
      const match = generateArenaMatch({ players: 6, seconds: 6 });
      let analyzer: ReturnType<typeof createBandwidthAnalyzer> | undefined;
      // the pass's decoder asks the analyzer per datagram, at the end too (as the CLI's does)
      const pass = compileProtocol(definition, { fields: (context) => analyzer!.wantsFields(context.tUs) });
      analyzer = createBandwidthAnalyzer({
        maxRetainedMessages: 300,
        ...(later ? { decodeRetainedLater: { definition: definition as unknown as ProtocolDefinitionLike, decoder: { decodeFields: (payload, context) => pass.decodeDatagramFields(payload, context).messages } } } : {}),
      });
      let last: PacketObservation | undefined;
      let declined = 0;
      for (const event of match.events) {
        if (event.kind === "packet") {
          analyzer.onPacket(event.packet);
          last = event.packet;
          if (!analyzer.wantsFields(event.packet.tUs)) declined += 1;
        } else analyzer.onMessage(event.message);
      }
      declines.push(declined);
      reports.push(JSON.stringify(analyzer.finish()));
      expect(analyzer.wantsFields(last!.tUs)).toBe(true);
    }
    // declined too: the datagrams of blocks the sample may still keep (copied instead)
    expect(declines[1]).toBeGreaterThan(declines[0]! + 100);
    expect(reports[1]).toBe(reports[0]);
  }, 60_000);
});

describe("RetainedTrace.decodeLater", () => {
  it("counts every message's leaf values from its roles-only fields as the complete fields count them", async () => {
    const definition = arenaDefinition();
    const full = compileProtocol(definition);
    const totals: number[] = [];
    for (const later of [false, true]) {
      const match = simulateMatchToMemory({ seed: 5, players: 5, durationMs: 6_000 });
      const trace = new RetainedTrace(1e7, 1e9);
      if (later) {
        const { FieldLeafCounter } = await import("./field-leaf-counter.js");
        trace.decodeLater({ decodeFields: (payload, context) => full.decodeDatagramFields(payload, context).messages }, new FieldLeafCounter(definition as unknown as ProtocolDefinitionLike));
      }
      let packet: PacketObservation | undefined;
      const feeder = {
        name: "trace",
        onPacket: (observed: PacketObservation) => {
          packet = observed;
        },
        onMessage: (message: GameMessage) => trace.offer(message, later ? packet : undefined),
        finish: () => null,
      };
      await runCapturePipeline({ sources: [match.pcapng], decoder: later ? compileProtocol(definition, { fields: "roles" }) : full, serverPorts: [7777], analyzers: [feeder] });
      totals.push(trace.retainedLeafValues);
      if (later) {
        // every kept message decoded again: the same trees as kept from the complete decode
        expect(trace.messages.length).toBeGreaterThan(1000);
      }
    }
    expect(totals[0]).toBeGreaterThan(10_000);
    expect(totals[1]).toBe(totals[0]);
  }, 60_000);
});
