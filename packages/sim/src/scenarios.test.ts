import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { ARENA_DEFINITION } from "./arena-definition.js";
import { createArenaEncoder } from "./arena-encoder.js";
import { ARENA_MESSAGE_TYPES } from "./arena-types.js";
import { greatCircleDistanceKm } from "./geography.js";
import { normalizeMatchOptions, type MatchOptions } from "./match-options.js";
import { simulateMatch } from "./match-simulator.js";
import { writeMatchCapture, simulateMatchToMemory } from "./write-match-capture.js";
import { decodeArenaCapture } from "./test-support/decode.js";
import { hasWiresharkTools, runWithStderr, temporaryDirectory } from "./test-support/tools.js";

function expectInvalid(action: () => unknown, fragment: string): void {
  try {
    action();
  } catch (error) {
    expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    expect(String((error as Error).message)).toContain(fragment);
    return;
  }
  throw new Error(`expected E_INVALID_OPTION (${fragment})`);
}

describe("arena definition", () => {
  it("is a verbatim copy of examples/protocols/arena.json and names the messages the simulator sends", () => {
    const path = join(__dirname, "..", "..", "..", "examples", "protocols", "arena.json");
    expect(ARENA_DEFINITION).toEqual(JSON.parse(readFileSync(path, "utf8")));
    const names = (ARENA_DEFINITION.messages as { name: string }[]).map((message) => message.name);
    expect([...names].sort()).toEqual([...ARENA_MESSAGE_TYPES].sort());
    expect(createArenaEncoder(ARENA_DEFINITION, "interpreted").encodeDatagram({ header: { sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 5 }, messages: [{ type: "ping", fields: { pingId: 9 } }] })).toEqual(
      createArenaEncoder().encodeDatagram({ header: { sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 5 }, messages: [{ type: "ping", fields: { pingId: 9 } }] }),
    );
  });
});

describe("state resets", () => {
  it("resets sequences and sends a stateReset plus a full snapshot burst to every player", async () => {
    const run = simulateMatchToMemory({ seed: 21, players: 70, durationMs: 2000, tickRate: 20, profile: "cable", stateResets: [{ atMs: 1000, reason: 2 }] });
    const reset = run.truth.serverEvents.find((event) => event.type === "stateReset");
    expect(reset).toBeDefined();
    const resetUs = (reset as { startUs: number }).startUs;
    const decoded = await decodeArenaCapture(run.pcapng);
    const resets = decoded.messages.filter((message) => message.type === "stateReset");
    expect(new Set(resets.map((message) => message.sessionId)).size).toBe(70);
    expect(resets.every((message) => message.fields.reason === 2)).toBe(true);
    // Full snapshot burst: 70 entities in 64-entity datagrams, two per player.
    const fullSnapshots = decoded.messages.filter((message) => message.type === "snapshot" && (message.fields.entities as unknown[]).length === 64);
    expect(fullSnapshots).toHaveLength(70);
    // Server sequence restarts at 0 after the reset.
    const afterReset = run.truth.packets.filter((packet) => packet.direction === "serverToClient" && packet.sendUs >= resetUs && packet.playerId === 5);
    expect(afterReset[0].sequence).toBe(0);
    expect(afterReset[0].messageTypes).toContain("stateReset");
    const beforeReset = run.truth.packets.filter((packet) => packet.direction === "serverToClient" && packet.sendUs < resetUs && packet.playerId === 5);
    expect(beforeReset[beforeReset.length - 1].sequence).toBeGreaterThan(15);
    // Clients restart their sequence once they see the reset.
    const clientAfter = run.truth.packets.filter((packet) => packet.direction === "clientToServer" && packet.playerId === 5 && packet.sendUs > resetUs + 200_000);
    expect(clientAfter[0].sequence).toBeLessThan(20);
  });
});

describe("regions, IPv6 and scheduled network events", () => {
  const options: MatchOptions = {
    seed: 8,
    players: 40,
    durationMs: 3000,
    tickRate: 20,
    ipVersion: 6,
    profile: "fibre",
    regions: [
      { name: "eu-west", latitude: 53.35, longitude: -6.26, playerShare: 1 },
      { name: "us-east", latitude: 38.9, longitude: -77.04, playerShare: 1 },
    ],
    crossRegionShare: 0.25,
    networkEvents: [
      { kind: "latencySpike", startMs: 1000, durationMs: 500, extraDelayMs: 80, region: "eu-west" },
      { kind: "outage", startMs: 2000, durationMs: 300, playerIds: [3], direction: "clientToServer" },
      { kind: "crossTraffic", startMs: 0, durationMs: 500, bitsPerSecond: 1e6, fraction: 0.5 },
    ],
  };
  const run = simulateMatchToMemory(options);

  it("places players near their home region and routes cross-region players far", () => {
    expect(run.truth.servers.map((server) => server.region)).toEqual(["eu-west", "us-east"]);
    expect(run.truth.servers[0].address).toContain(":");
    const cross = run.truth.players.filter((player) => player.region !== player.homeRegion);
    expect(cross.length).toBeGreaterThan(3);
    for (const player of run.truth.players) {
      const server = run.truth.servers.find((candidate) => candidate.region === player.region);
      const distance = greatCircleDistanceKm(player, server as { latitude: number; longitude: number });
      expect(player.paths.clientToServer.distanceKm).toBeCloseTo(Math.max(1, distance), 6);
      if (player.region === player.homeRegion) expect(distance).toBeLessThan(400);
      else expect(distance).toBeGreaterThan(4000);
    }
  });

  it("decodes IPv6 traffic of both servers", async () => {
    const decoded = await decodeArenaCapture(run.pcapng);
    expect(decoded.packets).toHaveLength(run.truth.summary.serverCapturePackets);
    expect(decoded.decodeAnomalies).toEqual({});
    expect(new Set(decoded.packets.map((packet) => (packet.destinationPort === 7777 ? packet.destinationAddress : packet.sourceAddress)))).toEqual(
      new Set(run.truth.servers.map((server) => server.address)),
    );
  });

  it("applies shared-path events to exactly the players the truth lists", () => {
    const [spike, outage, cross] = run.truth.networkEvents;
    const euPlayers = run.truth.players.filter((player) => player.region === "eu-west").map((player) => player.playerId);
    expect(spike.playerIds).toEqual(euPlayers);
    expect(outage.playerIds).toEqual([3]);
    expect(cross.playerIds.length).toBeGreaterThan(8);
    expect(cross.playerIds.length).toBeLessThan(32);
    const spiked = run.truth.packets.filter((packet) => packet.networkEventId === 0);
    expect(spiked.length).toBeGreaterThan(100);
    for (const packet of spiked) {
      if (packet.arrivalUs === null) continue;
      const path = run.truth.players[packet.playerId].paths[packet.direction];
      expect((packet.arrivalUs - packet.departUs) / 1000).toBeGreaterThan(path.baseDelayMs + 80 - 4 * path.jitterMs);
    }
    const blackedOut = run.truth.packets.filter((packet) => packet.networkEventId === 1);
    expect(blackedOut.length).toBeGreaterThan(3);
    expect(blackedOut.every((packet) => packet.lost === "outage" && packet.direction === "clientToServer" && packet.serverCaptureIndex === null)).toBe(true);
  });
});

describe("file outputs", () => {
  it("writes capture, truth, log, client and server-clock captures that tshark reads; packet count equals the truth", () => {
    const directory = temporaryDirectory();
    const paths = {
      out: join(directory, "match.pcapng"),
      truth: join(directory, "truth.ndjson"),
      serverLog: join(directory, "server.ndjson"),
      clientCapture: { path: join(directory, "client.pcapng"), playerIds: "all" as const, clockOffsetMs: 15 },
      serverCapture: join(directory, "server-clock.pcapng"),
    };
    let progressCalls = 0;
    const result = writeMatchCapture({ seed: 4, players: 6, durationMs: 2500, profile: "4g", cheats: [{ playerId: 1, kind: "tampering", intensity: 0.2 }] }, { ...paths, onProgress: () => progressCalls++ });
    expect(progressCalls).toBeGreaterThan(1);
    const truthLines = readFileSync(paths.truth, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { kind: string; serverCaptureIndex?: number | null });
    const captured = truthLines.filter((line) => line.kind === "packet" && line.serverCaptureIndex !== null).length;
    expect(captured).toBe(result.summary.serverCapturePackets);
    expect(readFileSync(paths.serverLog, "utf8").split("\n").length).toBeGreaterThan(100);
    const json = writeMatchCapture({ seed: 4, players: 2, durationMs: 300 }, { out: join(directory, "b.pcapng"), truth: join(directory, "b.json") });
    expect(JSON.parse(readFileSync(join(directory, "b.json"), "utf8")).summary).toEqual(json.summary);
    if (!hasWiresharkTools) return;
    for (const file of [paths.out, paths.clientCapture.path, paths.serverCapture]) {
      const capinfos = runWithStderr("capinfos", ["-c", "-M", "-T", "-r", file]);
      expect(capinfos.stderr).toBe("");
    }
    const count = runWithStderr("capinfos", ["-c", "-M", "-T", "-r", paths.out]).stdout.trim().split("\t")[1];
    expect(Number(count)).toBe(captured);
    const tshark = runWithStderr("tshark", ["-r", paths.out, "-o", "udp.check_checksum:TRUE", "-T", "fields", "-e", "_ws.expert.severity", "-e", "udp.checksum.status"]);
    expect(tshark.stderr).toBe("");
    const lines = tshark.stdout.trim().split("\n");
    expect(lines).toHaveLength(captured);
    expect(lines.every((line) => line.trim() === "1")).toBe(true);
    const clientCount = Number(runWithStderr("capinfos", ["-c", "-M", "-T", "-r", paths.clientCapture.path]).stdout.trim().split("\t")[1]);
    expect(clientCount).toBe(result.summary.clientCapturePackets);
  });
});

describe("options", () => {
  it("fills defaults that map to the CLI flags", () => {
    const normalized = normalizeMatchOptions({ seed: 7, players: 100, durationMs: 1_800_000 });
    expect(normalized).toMatchObject({ tickRate: 60, inputRate: 60, snapshotRate: 30, ipVersion: 4, entitiesPerSnapshot: 16, pingIntervalMs: 1000 });
    expect(normalized.profiles[0].name).toBe("cable");
    expect(normalized.regions).toEqual([{ name: "eu-central", latitude: 50.11, longitude: 8.68, serverAddress: "203.0.113.10", serverPort: 7777, playerShare: 1 }]);
    expect(normalizeMatchOptions({ seed: "s", players: 1, durationMs: 10, profile: { name: "doc", base: "dsl", jitterMs: 1 } }).profiles[0].jitterMs).toBe(1);
  });

  it("rejects bad options naming the option", () => {
    const base = { seed: 1, players: 2, durationMs: 1000 };
    expectInvalid(() => normalizeMatchOptions(null as unknown as MatchOptions), "options");
    expectInvalid(() => normalizeMatchOptions({ ...base, seed: {} as unknown as number }), "seed");
    expectInvalid(() => normalizeMatchOptions({ ...base, players: 0 }), "players");
    expectInvalid(() => normalizeMatchOptions({ ...base, players: 5001 }), "players");
    expectInvalid(() => normalizeMatchOptions({ ...base, players: 2.5 }), "players");
    expectInvalid(() => normalizeMatchOptions({ ...base, tickRate: 0 }), "tickRate");
    expectInvalid(() => normalizeMatchOptions({ ...base, ipVersion: 5 as 4 }), "ipVersion");
    expectInvalid(() => normalizeMatchOptions({ ...base, profile: "modem" }), "unknown profile");
    expectInvalid(() => normalizeMatchOptions({ ...base, profileMix: {} }), "profileMix");
    expectInvalid(() => normalizeMatchOptions({ ...base, profileMix: { fibre: 0 } }), "all weights are zero");
    expectInvalid(() => normalizeMatchOptions({ ...base, regions: [{ name: "a" }, { name: "a" }] }), "duplicate region");
    expectInvalid(() => normalizeMatchOptions({ ...base, regions: [{ name: "" }] }), "regions[0].name");
    expectInvalid(() => normalizeMatchOptions({ ...base, regions: [{ name: "a", latitude: 91 }] }), "regions[0].latitude");
    expectInvalid(() => normalizeMatchOptions({ ...base, regions: [{ name: "a", serverAddress: "::1" }] }), "IPv4");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: "x" as unknown as number }), "cheats");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: 5 }), "cheats");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [null as unknown as never] }), "cheats[0]");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [{ playerId: 0, kind: "wallhack" as "speed" }] }), "cheats[0].kind");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [{ playerId: 9, kind: "speed" }] }), "cheats[0].playerId");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [{ playerId: 0.5, kind: "speed" }] }), "cheats[0].playerId");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [{ playerId: 0, kind: "speedhack", intensity: 9 }] }), "cheats[0].intensity");
    expectInvalid(() => normalizeMatchOptions({ ...base, cheats: [{ playerId: 0, kind: "speedhack", startMs: 500, endMs: 100 }] }), "cheats[0].endMs");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [null as unknown as never] }), "networkEvents[0]");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "meteor" as "outage", startMs: 0, durationMs: 1 }] }), "networkEvents[0].kind");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "outage", startMs: 0 }] }), "networkEvents[0].durationMs");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "latencySpike", startMs: 0, durationMs: 5 }] }), "extraDelayMs");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "crossTraffic", startMs: 0, durationMs: 5 }] }), "bitsPerSecond");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "lossBurst", startMs: 0, durationMs: 5, lossProbability: 2 }] }), "lossProbability");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "outage", startMs: 0, durationMs: 5, region: "mars" }] }), "unknown region");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "outage", startMs: 0, durationMs: 5, fraction: 3 }] }), "fraction");
    expectInvalid(() => normalizeMatchOptions({ ...base, networkEvents: [{ kind: "outage", startMs: 0, durationMs: 5, direction: "up" as "both" }] }), "direction");
    expectInvalid(() => normalizeMatchOptions({ ...base, stateResets: [{ atMs: 5000 }] }), "stateResets[0].atMs");
    expectInvalid(() => normalizeMatchOptions({ ...base, rollbacks: [{ atMs: 5, ticks: 0 }] }), "rollbacks[0].ticks");
    expectInvalid(() => normalizeMatchOptions({ ...base, rollbacks: [{ atMs: 5, ticks: 2, region: "mars" }] }), "rollbacks[0].region");
    expectInvalid(() => normalizeMatchOptions({ ...base, stateResets: [{ atMs: 5, region: "mars" }] }), "stateResets[0].region");
    expectInvalid(() => normalizeMatchOptions({ ...base, serverTick: { stalls: [{ atMs: 5, durationMs: 5, region: "mars" }] } }), "serverTick.stalls[0].region");
    expectInvalid(() => normalizeMatchOptions({ ...base, serverTick: { stallProbability: 2 } }), "serverTick.stallProbability");
  });

  it("simulates random stalls, routes to a region-scoped reset, and runs without any sink", () => {
    const result = simulateMatch(
      { seed: 2, players: 4, durationMs: 2000, tickRate: 20, serverTick: { stallProbability: 0.05, stallMs: 50 }, stateResets: [{ atMs: 500, region: "eu-central" }], rollbacks: [{ atMs: 1200, ticks: 3 }], regions: [{ name: "eu-central" }] },
      {},
    );
    expect(result.serverEvents.filter((event) => event.type === "stall").length).toBeGreaterThan(0);
    expect(result.serverEvents.filter((event) => event.type === "stateReset")).toHaveLength(1);
    const rollback = result.serverEvents.find((event) => event.type === "rollback");
    expect(rollback?.tick).toBeGreaterThan(0);
    expect(result.summary.serverCapturePackets).toBeGreaterThan(100);
    expect(result.packets).toEqual([]);
  });
});
