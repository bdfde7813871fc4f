import { describe, expect, it } from "vitest";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { feed, recordSimulatedMatch } from "./test-support/recorded-match.js";

describe("loss state size", () => {
  // The README's figure is this test with players: 16, durationMs: 60_000 (4.7 MB for 85,965 packets).
  it("stays bounded on a simulated match (JSON size logged)", async () => {
    const events = await recordSimulatedMatch({ seed: 11, players: 4, durationMs: 30_000, profile: "wifi-congested" });
    const analyzer = createLossAnalyzer();
    feed(analyzer, events);
    const started = performance.now();
    const text = JSON.stringify(analyzer.saveState());
    const savedMs = performance.now() - started;
    const mergeStarted = performance.now();
    createLossAnalyzer().mergeState(JSON.parse(text), { packetIndexOffset: 0 });
    const mergedMs = performance.now() - mergeStarted;
    const packets = events.filter((event) => event.kind === "packet").length;
    console.log(`loss state: ${text.length} bytes JSON for ${packets} packets (save+stringify ${savedMs.toFixed(0)} ms, parse+merge ${mergedMs.toFixed(0)} ms)`);
    // Bounded per stream: the window and a head of at most 8 × 4096 events (8 streams here, ~60 bytes an event at most).
    expect(text.length).toBeLessThan(8 * (2048 * 20 + 8 * 4096 * 60));
    expect(text.length / packets).toBeLessThan(120);
  }, 600_000);
});
