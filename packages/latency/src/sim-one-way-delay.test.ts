import type { Direction } from "@tickscope/core";
import { readCapture } from "@tickscope/capture";
import { simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";
import { CaptureMatcher, OneWayDelayEstimator, type CaptureRecord } from "./one-way-delay.js";

async function records(pcapng: Uint8Array, clientAddress: string, clientPort: number): Promise<CaptureRecord[]> {
  const result: CaptureRecord[] = [];
  await readCapture(pcapng, {
    onPacket(packet) {
      if (packet.transport !== "udp") return;
      let direction: Direction;
      if (packet.sourceAddress === clientAddress && packet.sourcePort === clientPort) direction = "clientToServer";
      else if (packet.destinationAddress === clientAddress && packet.destinationPort === clientPort) direction = "serverToClient";
      else return;
      result.push({ tUs: packet.tUs, direction, payload: packet.payload.slice() });
    },
  });
  return result;
}

describe("one-way delay on @tickscope/sim captures (client capture with clock offset and drift vs server capture)", () => {
  it("recovers each direction's mean one-way delay within 1 ms of the simulator's truth", async () => {
    const match = simulateMatchToMemory(
      { seed: 21, players: 2, durationMs: 60_000, profile: "cable" },
      { clientCapture: { playerIds: [0], clockOffsetMs: 2_750, clockDriftPpm: 60 } },
    );
    const player = match.truth.players[0];
    const client = await records(match.clientPcapng!, player.address, player.port);
    const server = await records(match.pcapng, player.address, player.port);
    expect(client.length).toBeGreaterThan(1000);
    const matcher = new CaptureMatcher();
    const pairs = [...matcher.match(client, server)];
    const estimator = new OneWayDelayEstimator();
    for (const pair of pairs) estimator.add(pair);
    const clock = estimator.fit()!;
    for (const pair of pairs) estimator.measure(pair);
    const report = estimator.report();
    const truth: Record<Direction, number[]> = { clientToServer: [], serverToClient: [] };
    for (const packet of match.truth.packets) {
      if (packet.playerId !== 0 || packet.arrivalUs === null || packet.duplicate) continue;
      truth[packet.direction].push((packet.arrivalUs - packet.departUs) / 1000);
    }
    const base = player.paths;
    console.log(
      "sim one-way",
      JSON.stringify({ clock, report, pairs: pairs.length, ambiguous: matcher.ambiguous, base: [base.clientToServer.baseDelayMs, base.serverToClient.baseDelayMs] }),
    );
    for (const direction of ["clientToServer", "serverToClient"] as const) {
      const delays = truth[direction];
      const mean = delays.reduce((sum, value) => sum + value, 0) / delays.length;
      expect(Math.abs(report[direction].samples - delays.length)).toBeLessThanOrEqual(delays.length * 0.02);
      expect(Math.abs(report[direction].mean - mean)).toBeLessThan(1);
    }
    // The client clock runs 60 ppm fast relative to the server capture: the server − client drift is −60 ppm.
    expect(clock.driftPpm).toBeCloseTo(-60, -1);
  });
});
