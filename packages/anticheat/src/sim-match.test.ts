import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { CHEAT_KINDS as SIM_CHEAT_KINDS, simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";

const arena = JSON.parse(readFileSync(fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url)), "utf8")) as ProtocolDefinition;
/** The simulator's cheat kinds, as this package names them. */
const EXPECTED_KIND: Record<string, string> = { teleport: "movement", speed: "movement" };

// End to end on @tickscope/sim: a simulated arena match (server-side pcapng, labelled truth)
// → @tickscope/capture + the arena definition → the analyzer. Every simulator cheat kind
// on one player each, 20 honest players on a mix of fibre, cable, DSL and 4G.
describe("simulated arena match (@tickscope/sim, end to end)", () => {
  it("flags each cheater with its own kind and keeps honest players clean", async () => {
    const match = simulateMatchToMemory({
      seed: 7,
      players: 30,
      durationMs: 40_000,
      cheats: SIM_CHEAT_KINDS.map((kind, playerId) => ({ playerId, kind })),
      profileMix: { fibre: 2, cable: 2, "4g": 1, dsl: 1 },
    });
    const truth = match.truth as unknown as {
      players: Array<{ playerId: number; address: string; port: number }>;
      cheats: Array<{ playerId: number; kind: string }>;
      maxSpeed: number;
    };
    const analyzer = new AnticheatAnalyzer({ maxSpeedUnitsPerSecond: truth.maxSpeed });
    const result = await runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(arena), serverPorts: [7777], analyzers: [analyzer] });
    const report = result.reports[0] as AnticheatReport;
    let detected = 0;
    let honestFlagged = 0;
    const misses: string[] = [];
    for (const player of truth.players) {
      const verdict = report.players.find((entry) => entry.session.includes(`${player.address}:${player.port}-`))!;
      const cheat = truth.cheats.find((entry) => entry.playerId === player.playerId);
      if (cheat === undefined) {
        if (verdict.kinds.length > 0) honestFlagged += 1;
      } else if (verdict.kinds.includes(EXPECTED_KIND[cheat.kind] ?? cheat.kind)) {
        detected += 1;
      } else {
        misses.push(`${cheat.kind}: found ${verdict.kinds.join(",") || "nothing"}`);
      }
    }
    expect(detected, misses.join("; ")).toBeGreaterThanOrEqual(9);
    expect(honestFlagged).toBeLessThanOrEqual(1);
  }, 180_000);
});
