import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readCapture, runCapturePipeline } from "@tickscope/capture";
import { compileProtocol } from "@tickscope/core/protocol";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { BandwidthReport } from "./bandwidth-report.js";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { layoutsFromDefinition, type ProtocolDefinitionLike } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";

const firefall = fileURL("../../../examples/protocols/firefall.json");

function fileURL(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}

describe("Firefall 1869 gameplay capture (real traffic, fields unknown)", () => {
  it.skipIf(!hasSharedCaptures)(`accounts per channel and direction, runs compression and aggregation trials${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const path = sharedCapturePath("firefall_1869_gameplay.pcapng");
    // Independent totals straight from the reader.
    let wireBytes = 0;
    let payloadBytes = 0;
    let packets = 0;
    await readCapture(path, {
      onPacket(packet) {
        packets += 1;
        wireBytes += packet.wireLength;
        payloadBytes += packet.payload.length;
      },
    });
    const analyzer = createBandwidthAnalyzer();
    const result = await runCapturePipeline({
      sources: [readFileSync(path)],
      decoder: compileProtocol(JSON.parse(readFileSync(firefall, "utf8"))),
      serverPorts: [25000, 59238],
      analyzers: [analyzer],
    });
    const report = result.reports[0] as BandwidthReport;
    expect(report.totals).toMatchObject({ packets, wireBytes, payloadBytes });
    expect(packets).toBe(30686);
    const byDirection = Object.fromEntries(["clientToServer", "serverToClient"].map((direction) => [direction, report.bySession.filter((entry) => entry.direction === direction).reduce((sum, entry) => sum + entry.packets, 0)]));
    expect(byDirection).toEqual({ clientToServer: 4862, serverToClient: 25824 });
    const channels = [...new Set(report.byChannel.map((entry) => `${entry.direction} ${entry.channel}`))].sort();
    expect(channels).toEqual(expect.arrayContaining(["clientToServer 0", "clientToServer 1", "clientToServer 2", "serverToClient 0", "serverToClient 3"]));
    expect(report.byChannel.some((entry) => entry.resentMessages > 0)).toBe(true);
    // Fields are unknown: no field-level recommendation, and the report says so.
    expect(report.byField).toEqual([]);
    expect(report.notes.some((note) => note.includes("No re-encoder"))).toBe(true);
    const kinds = report.recommendations.map((recommendation) => recommendation.kind);
    expect(kinds).not.toContain("quantization");
    expect(kinds).not.toContain("deltaEncoding");
    expect(kinds).toContain("compression");
    expect(report.compression.trials.map((trial) => trial.mode)).toEqual(["perPacket", "perPacket", "perPacketDictionary", "perStream"]);
    const aggregation = report.recommendations.find((recommendation) => recommendation.kind === "aggregation");
    expect(aggregation?.verified).toBe(true);
    console.log(
      `firefall: ${report.totals.bytesPerSecond} B/s, header share ${report.totals.headerShare}; ` +
        report.recommendations.map((recommendation) => `${recommendation.kind} ${(recommendation.savingsRatio * 100).toFixed(1)}%${recommendation.verified ? "" : " (estimate)"}`).join(", "),
    );
  });

  it.skipIf(!hasSharedCaptures)(`with the definition's layouts (as tickscope analyze): no recommendation adds bytes${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const definition = JSON.parse(readFileSync(firefall, "utf8")) as unknown;
    const analyzer = createBandwidthAnalyzer({ reencoder: new LayoutReencoder(layoutsFromDefinition(definition as ProtocolDefinitionLike).layouts) });
    const result = await runCapturePipeline({
      sources: [sharedCapturePath("firefall_1869_gameplay.pcapng")],
      decoder: compileProtocol(definition as Parameters<typeof compileProtocol>[0]),
      serverPorts: [25000, 59238],
      analyzers: [analyzer],
    });
    const report = result.reports[0] as BandwidthReport;
    // Delta encoding against the last sent message measured 2,787,444 → 2,788,220 bytes: more, so a note, not advice.
    for (const recommendation of report.recommendations) expect(recommendation.bytesAfter, recommendation.title).toBeLessThan(recommendation.bytesBefore);
    expect(report.recommendations.map((recommendation) => recommendation.kind)).not.toContain("deltaEncoding");
    const note = report.notes.find((entry) => entry.startsWith("Not recommended: Delta-encode"));
    expect(note).toMatch(/measured (\d+) → (\d+) messageBytes \((\d+) bytes more\)/);
    console.log(note);
  });
});
