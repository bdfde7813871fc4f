import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { LatencyAnalyzer, type LatencyReport } from "@tickscope/latency";
import { createRegionsAnalyzer } from "@tickscope/regions";
import { ARENA_DEFINITION, simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const skip = hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`;

/** Runs latency and regions over one capture and returns, per session, both packages' RTT p50/p95/p99. */
async function bothAnalyses(source: string | Uint8Array, definition: ProtocolDefinition, serverPorts?: number[]) {
  const latency = new LatencyAnalyzer();
  const regions = createRegionsAnalyzer({ regionOfSession: () => "here", comparison: { placement: false } });
  await runCapturePipeline({ sources: [source], decoder: compileProtocol(definition), serverPorts, analyzers: [latency, regions] });
  const report = latency.finish() as LatencyReport;
  return { latency: report, regions: regions.sessionSummaries() };
}

describe("one RTT per session: latency and regions agree (issue 13 §2)", () => {
  it.skipIf(!hasSharedCaptures)(`Firefall 1869: the region RTT of the gameplay session is latency's headline (time sync), not seconds${skip}`, async () => {
    const definition = JSON.parse(readFileSync(`${examples}firefall.json`, "utf8")) as ProtocolDefinition;
    const { latency, regions } = await bothAnalyses(sharedCapturePath("firefall_1869_gameplay.pcapng"), definition, [25000, 59238]);
    const game = latency.sessions.find((session) => session.server.endsWith(":59238"))!;
    const region = regions.find((summary) => summary.sessionId === game.id)!;
    expect(game.method).toBe("echo");
    expect(region.rttMs).toEqual({ p50: game.rttMs.p50, p95: game.rttMs.p95, p99: game.rttMs.p99 });
    expect(region.rttMs!.p50).toBeLessThan(70);
  });

  it("a simulated match captured at the servers: every session's RTT is the same in both packages", async () => {
    const match = simulateMatchToMemory({ seed: 5, players: 8, durationMs: 15_000 });
    const { latency, regions } = await bothAnalyses(match.pcapng, ARENA_DEFINITION as never);
    expect(regions.length).toBe(latency.sessions.length);
    for (const session of latency.sessions) {
      const region = regions.find((summary) => summary.sessionId === session.id)!;
      expect(region.rttMs).toEqual({ p50: session.rttMs.p50, p95: session.rttMs.p95, p99: session.rttMs.p99 });
    }
  });
});
