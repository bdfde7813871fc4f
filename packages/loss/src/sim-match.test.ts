import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "@tickscope-test/support";
import type { DatagramDecoder, Direction, GameMessage, MessageAnalyzer } from "@tickscope/core";
import { createLossAnalyzer, type LossAnalyzerOptions } from "./loss-analyzer.js";
import type { InputSyncImpact, LossReport } from "./report-schema.js";

// Loaded dynamically with local shapes so this package's typecheck does not
// depend on the build state of the sim/capture devDependencies.
interface PacketTruth {
  id: number;
  playerId: number;
  direction: Direction;
  sequence: number;
  lost: string | null;
  serverCaptureIndex: number | null;
  duplicate: boolean;
}
interface SimModule {
  simulateMatchToMemory(options: Record<string, unknown>): { pcapng: Uint8Array; truth: { packets: PacketTruth[] } };
}
interface CaptureModule {
  runCapturePipeline(options: { sources: Uint8Array[]; decoder: DatagramDecoder; analyzers: MessageAnalyzer<unknown>[] }): Promise<{ reports: unknown[] }>;
}
interface ProtocolModule {
  compileProtocol(definition: string): DatagramDecoder;
}

interface SimulatedRun {
  report: LossReport;
  truth: PacketTruth[];
  /** Player of each session id. */
  players: Map<string, number>;
}

async function simulateAndAnalyze(matchOptions: Record<string, unknown>, lossOptions: LossAnalyzerOptions = {}): Promise<SimulatedRun> {
  const sim = (await import("@tickscope/sim")) as unknown as SimModule;
  const capture = (await import("@tickscope/capture")) as unknown as CaptureModule;
  const { compileProtocol } = (await import("@tickscope/core/protocol")) as unknown as ProtocolModule;
  const match = sim.simulateMatchToMemory(matchOptions);
  const playerByCaptureIndex = new Map<number, number>();
  for (const packet of match.truth.packets) if (packet.serverCaptureIndex !== null) playerByCaptureIndex.set(packet.serverCaptureIndex, packet.playerId);
  const players = new Map<string, number>();
  const sessionMapper: MessageAnalyzer<null> = {
    name: "players",
    onMessage(message: GameMessage) {
      if (!players.has(message.sessionId)) players.set(message.sessionId, playerByCaptureIndex.get(message.packetIndex)!);
    },
    finish: () => null,
  };
  const analyzer = createLossAnalyzer(lossOptions);
  const definition = readFileSync(join(repositoryRoot, "examples/protocols/arena.json"), "utf8");
  const result = await capture.runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(definition), analyzers: [analyzer, sessionMapper] });
  return { report: result.reports[0] as LossReport, truth: match.truth.packets, players };
}

/** Truth loss of one player and direction between the first and last datagram that arrived. */
function truthLoss(truth: PacketTruth[], playerId: number, direction: Direction): { lost: number; expected: number } {
  const packets = truth.filter((packet) => packet.playerId === playerId && packet.direction === direction && !packet.duplicate).sort((a, b) => a.id - b.id);
  const first = packets.findIndex((packet) => packet.lost === null);
  let last = packets.length - 1;
  while (last >= 0 && packets[last]!.lost !== null) last -= 1;
  const inRange = packets.slice(first, last + 1);
  return { lost: inRange.filter((packet) => packet.lost !== null).length, expected: inRange.length };
}

describe("loss analysis of a simulated arena match (@tickscope/sim → pcapng → capture → arena decoder)", () => {
  it("matches the injected loss per player and direction (server-side capture: gaps upstream, acks downstream)", async () => {
    const run = await simulateAndAnalyze({ seed: 7, players: 3, durationMs: 60_000, profile: "wifi-congested" });
    expect(run.report.sessions).toHaveLength(6);
    for (const row of run.report.sessions) {
      const player = run.players.get(row.id)!;
      const truth = truthLoss(run.truth, player, row.direction);
      // The server-side capture receives client → server (a gap is loss) and sends server → client
      // (the clients' acks tell what they did not receive).
      expect(row.method).toBe(row.direction === "clientToServer" ? "gaps" : "acks");
      expect(Math.abs(row.lossRate - truth.lost / truth.expected)).toBeLessThan(0.002);
      // In fact exact: every injected loss found, none invented (duplicates and reorders included in the profile).
      expect(row.lost).toBe(truth.lost);
      // Downstream, the last datagrams no ack covered before the capture ended are not expected (no end-edge loss).
      if (row.direction === "clientToServer") expect(row.expected).toBe(truth.expected);
      else expect(truth.expected - row.expected).toBeLessThanOrEqual(3);
      expect(row.resets.count).toBe(0);
    }
  }, 120_000);

  it("turns the simulator's state resets (sequence restarts) into reset candidates, never loss", async () => {
    const run = await simulateAndAnalyze({ seed: 3, players: 2, durationMs: 40_000, profile: "4g", stateResets: [{ atMs: 15_000 }, { atMs: 30_000 }] });
    expect(run.report.sessions).toHaveLength(4);
    for (const row of run.report.sessions) {
      const truth = truthLoss(run.truth, run.players.get(row.id)!, row.direction);
      expect(row.lost).toBe(truth.lost);
      expect(row.resets.count).toBe(2);
      expect(row.resets.candidates.map((candidate) => candidate.toSequence)).toEqual([0, 0]);
    }
  }, 120_000);

  it("predicts residual input loss under more redundancy within 10% of a re-run of the simulator with the change", async () => {
    const match = { seed: 5, players: 2, durationMs: 300_000, profile: "wifi-congested" };
    const residual = (run: SimulatedRun): Map<number, InputSyncImpact> =>
      new Map(run.report.syncImpact.filter((entry): entry is InputSyncImpact => entry.kind === "input").map((impact) => [run.players.get(impact.id)!, impact]));
    const baseline = await simulateAndAnalyze({ ...match, inputRedundancy: 1 }, { targetResidualInputLossRate: 0.005, seed: 5 });
    const before = residual(baseline);
    expect(before.size).toBe(2);
    const recommendation = baseline.report.recommendations.find((entry) => entry.kind === "inputRedundancy")!;
    expect(recommendation.verified).toBe(true);
    const recommended = Number(/last (\d+) inputs/.exec(recommendation.title)![1]);
    const player = baseline.players.get(recommendation.session!)!;
    for (const redundancy of [3, recommended]) {
      const rerun = residual(await simulateAndAnalyze({ ...match, inputRedundancy: redundancy }));
      for (const [playerId, impact] of rerun) {
        expect(impact.currentRedundancy).toBe(redundancy);
        const predicted = redundancy <= 8 ? before.get(playerId)!.redundancyReplay[redundancy - 1]!.residualInputLossRate : undefined;
        if (predicted !== undefined) expect(Math.abs(predicted - impact.residualInputLossRate)).toBeLessThanOrEqual(0.1 * impact.residualInputLossRate);
        if (redundancy === recommended && playerId === player) {
          expect(Math.abs(recommendation.after - impact.residualInputLossRate)).toBeLessThanOrEqual(0.1 * impact.residualInputLossRate);
        }
      }
    }
  }, 300_000);
});
