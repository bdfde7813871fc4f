import { describe, expect, it } from "vitest";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { feed, recordSimulatedMatch } from "./test-support/recorded-match.js";

describe("loss state size", () => {
  it("stays bounded on a 16-player × 60 s match (JSON size logged)", async () => {
    const events = await recordSimulatedMatch({ seed: 11, players: 16, durationMs: 60_000, profile: "wifi-congested" });
    const analyzer = createLossAnalyzer();
    feed(analyzer, events);
    const started = performance.now();
    const text = JSON.stringify(analyzer.saveState());
    const savedMs = performance.now() - started;
    const mergeStarted = performance.now();
    createLossAnalyzer().mergeState(JSON.parse(text), { packetIndexOffset: 0 });
    const mergedMs = performance.now() - mergeStarted;
    const state = JSON.parse(text);
    const parts: Record<string, number> = {};
    for (const session of state.sessions) for (const direction of [session.clientToServer, session.serverToClient]) for (const stream of direction.streams) {
      for (const [key, value] of Object.entries(stream.head)) parts[`head.${key}`] = (parts[`head.${key}`] ?? 0) + JSON.stringify(value).length;
      parts.core = (parts.core ?? 0) + JSON.stringify(stream.core).length;
      parts.window = (parts.window ?? 0) + JSON.stringify(stream.core.space.window).length;
      parts.checkpoint = (parts.checkpoint ?? 0) + JSON.stringify(stream.checkpoint).length;
    }
    console.log(JSON.stringify(parts));
    const packets = events.filter((event) => event.kind === "packet").length;
    console.log(`loss state: ${text.length} bytes JSON for ${packets} packets (save+stringify ${savedMs.toFixed(0)} ms, parse+merge ${mergedMs.toFixed(0)} ms)`);
    // Bounded per stream: window + head of at most 8 windows of events (32 streams here).
    expect(text.length).toBeLessThan(32 * 8 * 2048 * 40);
  }, 300_000);
});
