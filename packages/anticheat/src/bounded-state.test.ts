import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";

const arena = JSON.parse(readFileSync(fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url)), "utf8")) as ProtocolDefinition;

/** Saved-state bytes per session after an arena match of `seconds` (4 players, two of them cheating all along). */
async function stateBytesPerSession(seconds: number): Promise<number> {
  const match = simulateMatchToMemory({
    seed: 5,
    players: 4,
    durationMs: seconds * 1000,
    cheats: [
      { playerId: 0, kind: "lagSwitch" },
      { playerId: 1, kind: "speed" },
    ],
  });
  const analyzer = new AnticheatAnalyzer({ maxSpeedUnitsPerSecond: (match.truth as unknown as { maxSpeed: number }).maxSpeed });
  await runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(arena), serverPorts: [7777], analyzers: [analyzer], finishAnalyzers: false });
  const state = analyzer.saveState();
  return JSON.stringify(state).length / state.sessions.length;
}

describe("anticheat state per session", () => {
  it("stops growing once its rings and capped lists are full (4× longer match: under 1.5× the state, not 4×)", async () => {
    // Rings (RTT samples, action gaps, placements) and capped lists (lag-switch events, evidence) fill within
    // the first minute or two; nothing grows per packet after that.
    const short = await stateBytesPerSession(60);
    const long = await stateBytesPerSession(240);
    expect(short).toBeGreaterThan(1_000);
    expect(long).toBeLessThan(short * 1.5);
  }, 180_000);
});
