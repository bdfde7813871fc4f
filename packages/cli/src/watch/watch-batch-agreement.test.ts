import { PassThrough } from "node:stream";
import { AnticheatAnalyzer, type AnticheatReport } from "@tickscope/anticheat";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { ARENA_DEFINITION, CHEAT_KINDS, simulateMatchToMemory } from "@tickscope/sim";
import { beforeAll, describe, expect, it } from "vitest";
import { runWatch } from "./run-watch.js";
import type { WatchAlert } from "./watch-alert.js";

/** The fast watch checks' reasons, as the anticheat kinds they stand for. */
const REASON_KIND: Readonly<Record<string, string>> = { clockRate: "speedhack", decodeAnomalies: "tampering" };

/** Streams bytes into `runWatch` in chunks, collecting alerts. */
async function watchAlerts(bytes: Uint8Array, anticheat: { maxSpeedUnitsPerSecond: number }): Promise<WatchAlert[]> {
  const stream = new PassThrough();
  const alerts: WatchAlert[] = [];
  const done = runWatch({ source: stream, protocolDefinition: ARENA_DEFINITION, anticheat, onAlert: (alert) => alerts.push(alert) });
  for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
    if (!stream.write(bytes.subarray(offset, offset + 64 * 1024))) await new Promise((resolve) => stream.once("drain", resolve));
  }
  stream.end();
  await done;
  return alerts;
}

// Issue 17 item 8: on one simulated match, every (session, cheat kind) batch `anticheat` flags
// (verdict cheating or suspicious) must be alerted by `watch`, which runs batch's own detectors
// over overlapping 60-s epochs of capture time (the default). Every simulator cheat kind on one
// player each (a lag switch and fake latency among them), 14 honest players, 2 minutes.
// Measured (seed 17): batch flags 10 (session, kind), watch alerts all 10; with 30-s epochs 9
// (bot timing, which needs 15 action gaps, missed). Watch also calls the lag switcher's
// held-and-flushed reports fake latency in one epoch (batch: not over the whole session).
describe("watch and batch anticheat agree on one capture", () => {
  let batch: Set<string>;
  let watch: Set<string>;
  let alerts: WatchAlert[];
  let cheaters: Map<string, string>;

  beforeAll(async () => {
    const match = simulateMatchToMemory({
      seed: 17,
      players: 14 + CHEAT_KINDS.length,
      durationMs: 120_000,
      cheats: CHEAT_KINDS.map((kind, playerId) => ({ playerId, kind })),
      profileMix: { fibre: 2, cable: 2, "4g": 1, dsl: 1 },
    });
    const truth = match.truth as unknown as { players: { playerId: number; address: string; port: number }[]; cheats: { playerId: number; kind: string }[]; maxSpeed: number };
    cheaters = new Map(
      truth.cheats.map((cheat) => {
        const player = truth.players.find((candidate) => candidate.playerId === cheat.playerId)!;
        return [`udp:${player.address}:${player.port}-`, cheat.kind];
      }),
    );
    const anticheat = { maxSpeedUnitsPerSecond: truth.maxSpeed };
    const result = await runCapturePipeline({
      sources: [match.pcapng],
      decoder: compileProtocol(ARENA_DEFINITION as unknown as ProtocolDefinition),
      analyzers: [new AnticheatAnalyzer(anticheat)],
    });
    const report = result.reports[0] as AnticheatReport;
    batch = new Set(
      report.players.flatMap((player) => (player.verdict === "cheating" || player.verdict === "suspicious" ? player.kinds.map((kind) => `${player.session} ${kind}`) : [])),
    );
    alerts = await watchAlerts(match.pcapng, anticheat);
    watch = new Set(
      alerts.filter((alert) => alert.alert === "cheatSuspicion").map((alert) => `${alert.session} ${REASON_KIND[String(alert.values.reason)] ?? alert.values.reason}`),
    );
  }, 300_000);

  it("watch alerts every cheat batch flags, the lag switch and the fake latency included", () => {
    const missed = [...batch].filter((flag) => !watch.has(flag));
    const recall = (batch.size - missed.length) / batch.size;
    console.log(`batch flags ${batch.size}, watch alerts ${watch.size} (session, kind); recall ${(recall * 100).toFixed(1)}%; missed: ${missed.join(", ") || "none"}`);
    const kindsOf = (flags: Set<string>) => new Set([...flags].map((flag) => flag.split(" ")[1]));
    expect(kindsOf(batch)).toContain("lagSwitch");
    expect(kindsOf(batch)).toContain("fakeLatency");
    expect(kindsOf(watch)).toContain("lagSwitch");
    expect(kindsOf(watch)).toContain("fakeLatency");
    expect(missed).toEqual([]);
  });

  it("watch raises no cheat batch does not (on honest players and kinds)", () => {
    const extra = [...watch].filter((flag) => !batch.has(flag));
    const honestAlerted = [...watch].filter((flag) => ![...cheaters.keys()].some((prefix) => flag.startsWith(prefix)));
    console.log(`watch-only (session, kind): ${extra.join(", ") || "none"}; honest sessions alerted: ${honestAlerted.length}`);
    expect(honestAlerted).toEqual([]);
    expect(extra.length).toBeLessThanOrEqual(1);
  });

  it("anticheat alerts carry the evidence as Wireshark frame numbers and whole-µs times", () => {
    const fromAnticheat = alerts.filter((alert) => alert.alert === "cheatSuspicion" && alert.frameNumbers !== undefined);
    expect(fromAnticheat.length).toBeGreaterThan(0);
    for (const alert of fromAnticheat) {
      expect(alert.frameNumbers!.every((frame) => Number.isInteger(frame) && frame >= 1)).toBe(true);
      expect(alert.detectedAtUs).toBeGreaterThanOrEqual(alert.tUs);
    }
  });
});
