import { describe, expect, it } from "vitest";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import { arenaDefinition, feed, generateArenaMatch } from "./test-support/index.js";

describe("arena protocol (examples/protocols/arena.json)", () => {
  const definition = arenaDefinition();
  const { layouts, unsupported } = layoutsFromDefinition(definition as never);
  const reencoder = new LayoutReencoder(layouts);
  const match = generateArenaMatch({ players: 8, seconds: 6 });

  it("derives a layout for every arena message whose sizes equal the real encoder's", () => {
    expect(unsupported).toEqual([]);
    expect(reencoder.messageTypes()).toEqual([...definition.messages.map((message) => message.name)].sort());
    let compared = 0;
    for (const event of match.events) {
      if (event.kind !== "message") continue;
      const mine = reencoder.encode(event.message.type, event.message.fields, {}).length;
      expect(mine).toBe(event.message.byteLength);
      expect(mine).toBe(match.protocol.encodeMessage(event.message.type, event.message.fields).length);
      compared++;
    }
    expect(compared).toBe(match.messages);
  });

  it("finds a verified plan saving well over 15% on an arena match", () => {
    const report = feed(createBandwidthAnalyzer({ reencoder, tolerances: { x: 0.01, y: 0.01, z: 0.01 } }), match.events);
    expect(report.measuredWindow).toMatchObject({ reencodeSizeMismatches: 0, baselineMode: "lastAcknowledged" });
    expect(report.plan.savingsRatio).toBeGreaterThanOrEqual(0.15);
    expect(report.plan.steps.map((step) => step.kind)).toContain("deltaEncoding");
    const resends = report.recommendations.find((recommendation) => recommendation.id === "bandwidth.resends");
    expect(resends?.verified).toBe(false);
    expect(report.byChannel).toEqual([]);
    const entityX = report.byField.find((field) => field.type === "snapshot" && field.field === "entities[].x")!;
    expect(entityX.bitsPerValue).toBe(20);
    // Counters are never narrowed to the range seen in the window.
    const quantization = report.recommendations.find((recommendation) => recommendation.kind === "quantization")!;
    expect(quantization.verified).toBe(true);
    console.log(`arena 8 players: plan ${report.plan.steps.map((step) => `${step.kind} ${(step.savingsRatio * 100).toFixed(1)}%`).join(", ")}`);
  });
});
