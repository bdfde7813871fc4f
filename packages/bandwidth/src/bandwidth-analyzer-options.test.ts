import { describe, expect, it } from "vitest";
import { hasErrorCode, stringifyReport, type GameMessage, type PacketObservation } from "@tickscope/core";
import { createBandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { arenaDefinition, cubeLayouts, feed, generateArenaMatch, generateCubeScene } from "./test-support/index.js";

const arenaReencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);

describe("createBandwidthAnalyzer", () => {
  it("is deterministic: the same input gives byte-identical JSON, and finish() is idempotent", () => {
    const scene = generateCubeScene({ cubes: 30, seconds: 0.5 });
    const options: BandwidthOptions = { reencoder: new LayoutReencoder(cubeLayouts()), tolerances: new Map([["position", 0.01]]) };
    const first = createBandwidthAnalyzer(options);
    const a = stringifyReport(feed(first, scene.events));
    const b = stringifyReport(feed(createBandwidthAnalyzer(options), scene.events));
    expect(a).toBe(b);
    expect(first.finish()).toBe(first.finish());
    expect(first.name).toBe("bandwidth");
  });

  it("without a re-encoder: accounting, compression, aggregation and update rate only, and says so", () => {
    const match = generateArenaMatch({ players: 4, seconds: 4 });
    const report = feed(createBandwidthAnalyzer(), match.events);
    expect(report.notes.some((note) => note.includes("No re-encoder"))).toBe(true);
    const kinds = report.recommendations.map((recommendation) => recommendation.kind).sort();
    expect(kinds).not.toContain("quantization");
    expect(kinds).not.toContain("deltaEncoding");
    expect(kinds).toContain("compression");
    expect(kinds).toContain("aggregation");
    expect(report.byField).toEqual([]);
    expect(report.plan.steps.every((step) => step.kind !== "quantization")).toBe(true);
    expect(report.measuredWindow.baselineMode).toBe("none");
  });

  it("interest management: measures the bytes spent on players beyond the relevance radius", () => {
    const match = generateArenaMatch({ players: 8, seconds: 3 });
    // Tag each client's input with its player id so the analysis knows whose view a snapshot is for.
    const events = match.events.map((event) => {
      if (event.kind !== "message" || event.message.type !== "input") return event;
      const player = Number(event.message.sessionId.split("-")[1]);
      return { kind: "message" as const, message: { ...event.message, roles: { ...event.message.roles, playerId: player } } };
    });
    const report = feed(createBandwidthAnalyzer({ reencoder: arenaReencoder, relevanceRadius: 25 }), events);
    const interest = report.recommendations.find((recommendation) => recommendation.kind === "interestManagement")!;
    expect(interest.verified).toBe(true);
    expect(interest.bytesAfter).toBeLessThan(interest.bytesBefore);
    expect(Number(interest.details.entitiesDropped)).toBeGreaterThan(0);
    expect(report.plan.steps.map((step) => step.kind)).toContain("interestManagement");
    // Without player ids or positions, nothing can be measured and the report says so.
    const blind = feed(createBandwidthAnalyzer({ reencoder: arenaReencoder, relevanceRadius: 25 }), match.events);
    expect(blind.notes.some((note) => note.startsWith("Interest management: no entity"))).toBe(true);
    const noLayout = feed(createBandwidthAnalyzer({ relevanceRadius: 25 }), match.events);
    expect(noLayout.notes).toContain("Interest management needs a re-encoder to measure; skipped.");
  });

  it("finds a variant within a downstream budget with the least error", () => {
    const scene = generateCubeScene({ cubes: 60, seconds: 0.5 });
    const report = feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), budgetBitsPerSecond: 64_000 }), scene.events);
    const budget = report.plan.budget!;
    expect(budget.met).toBe(true);
    expect(budget.worstSessionBitsPerSecond).toBeLessThanOrEqual(64_000);
    const impossible = feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), budgetBitsPerSecond: 10 }), scene.events).plan.budget!;
    expect(impossible.met).toBe(false);
    expect(impossible.worstSessionBitsPerSecond).toBeGreaterThan(10);
  });

  it("counts duplicates, decode anomalies and encode failures, and notes a truncated window", () => {
    const scene = generateCubeScene({ cubes: 20, seconds: 0.5 });
    const events = [...scene.events];
    const firstPacket = events.find((event) => event.kind === "packet")!;
    events.splice(2, 0, { kind: "packet", packet: { ...(firstPacket as { packet: PacketObservation }).packet, packetIndex: 9999 } });
    const broken: GameMessage = { ...(events.find((event) => event.kind === "message") as { message: GameMessage }).message, fields: { sequence: "x", cubes: [] } };
    events.push({ kind: "message", message: broken });
    const analyzer = createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), maxRetainedMessages: 100_000 });
    analyzer.onAnomaly!({ sessionId: "s", direction: "clientToServer", tUs: 0, packetIndex: 3, code: "E_DECODE_FAILED", detail: "bad" });
    const report = feed(analyzer, events);
    expect(report.anomalies).toEqual({ E_DECODE_FAILED: 1, E_ENCODE_FAILED: 1 });
    const duplicates = report.recommendations.find((recommendation) => recommendation.id === "bandwidth.duplicates")!;
    expect(duplicates.bytesBefore - duplicates.bytesAfter).toBe((firstPacket as { packet: PacketObservation }).packet.wireLength);
    expect(duplicates.details.duplicatePackets).toBe(1);

    const small = feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), maxRetainedMessages: 5 }), scene.events);
    expect(small.measuredWindow.messages).toBe(5);
    expect(small.notes.some((note) => note.startsWith("Re-encoding trials cover the first 5"))).toBe(true);
  });

  it("reports an empty capture without failing", () => {
    const report = createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()) }).finish();
    expect(report.totals.packets).toBe(0);
    expect(report.recommendations).toEqual([]);
    expect(report.plan).toMatchObject({ steps: [], bytesBefore: 0, bytesAfter: 0, savingsRatio: 0 });
    expect(report.notes).toContain("Compression trials need datagram payloads (PacketObservation.payload); none were given.");
  });

  it("notes when the re-encoder knows none of the message types, or its sizes differ from the capture", () => {
    const scene = generateCubeScene({ cubes: 10, seconds: 0.5 });
    const other = new LayoutReencoder([{ type: "unrelated", typeId: 1, typeIdBits: 8, fields: [] }]);
    expect(feed(createBandwidthAnalyzer({ reencoder: other }), scene.events).notes).toContain("The re-encoder knows none of the decoded message types: field-level changes are out.");
    const wider = cubeLayouts().map((layout) => ({ ...layout, typeIdBits: 16 }));
    const report = feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(wider) }), scene.events);
    expect(report.measuredWindow.reencodeSizeMismatches).toBeGreaterThan(0);
    expect(report.notes.some((note) => note.includes("differ in size from the capture"))).toBe(true);
  });

  it("rejects invalid options with E_INVALID_OPTION", () => {
    const bad: BandwidthOptions[] = [{ mtuBytes: 0 }, { defaultTolerance: -1 }, { tolerances: { position: 0 } }, { relevanceRadius: Number.NaN }, { budgetBitsPerSecond: -5 }];
    for (const options of bad) {
      let error: unknown;
      try {
        createBandwidthAnalyzer(options);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, "E_INVALID_OPTION"), JSON.stringify(options)).toBe(true);
    }
  });
});
