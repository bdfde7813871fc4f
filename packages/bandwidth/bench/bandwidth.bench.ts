/**
 * Bandwidth benchmark (run with `pnpm bench` in this package).
 *
 * 1. Accounting throughput on a synthetic arena match (default: 100 players,
 *    30 minutes; snapshots 20 Hz and inputs 30 Hz per player, arena layouts
 *    from examples/protocols/arena.json), then `finish()` with every
 *    re-encoding trial on the retained window. Env: BENCH_PLAYERS, BENCH_MINUTES.
 * 2. The cube scene anchor (901 cubes, 60 Hz, full-float snapshots).
 *
 * Figures are wall-clock on whatever machine runs it (shared machines vary).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GameMessage, PacketObservation } from "@tickscope/core";
import { createBandwidthAnalyzer, layoutsFromDefinition, LayoutReencoder } from "../src/index.js";
import { cubeLayouts, feed, generateCubeScene } from "../src/test-support/index.js";

const players = Number(process.env.BENCH_PLAYERS ?? 100);
const minutes = Number(process.env.BENCH_MINUTES ?? 30);
const definition = JSON.parse(readFileSync(fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url)), "utf8"));
const reencoder = new LayoutReencoder(layoutsFromDefinition(definition).layouts);

/** CPU time (user + system) since `start`, ms: robust to other load on a shared machine. */
function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function arenaBench(): void {
  const analyzer = createBandwidthAnalyzer({ reencoder, tolerances: { x: 0.01, y: 0.01, z: 0.01 } });
  const snapshotHz = 20;
  const inputHz = 30;
  const startUs = 1_700_000_000_000_000;
  const durationUs = minutes * 60e6;
  const visible = Math.min(players, 16);
  const payload = new Uint8Array(1200);
  const packet: PacketObservation = { sessionId: "", direction: "serverToClient", tUs: 0, packetIndex: 0, wireLength: 0, payloadLength: 0, frameCount: 1, payload };
  const message: GameMessage = {
    sessionId: "",
    direction: "serverToClient",
    tUs: 0,
    packetIndex: 0,
    indexInPacket: 0,
    type: "snapshot",
    byteLength: 0,
    packetWireLength: 0,
    fields: {},
    roles: {},
  };
  const sessions = Array.from({ length: players }, (_, index) => `client-${index}`);
  const sequences = new Array<number>(players).fill(0);
  let packetIndex = 0;
  let messages = 0;
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const snapshotEvery = 1e6 / snapshotHz;
  const inputEvery = 1e6 / inputHz;
  let nextSnapshot = 0;
  let nextInput = 0;
  let tick = 0;
  while (nextSnapshot < durationUs || nextInput < durationUs) {
    if (nextSnapshot <= nextInput) {
      const tUs = startUs + nextSnapshot;
      const entities = Array.from({ length: visible }, (_, id) => {
        const moving = id % 2 === 0;
        const angle = moving ? tick * 0.05 + id : id;
        return { entityId: id, x: Math.round(Math.cos(angle) * 400) / 10, y: Math.round(Math.sin(angle) * 400) / 10, z: 0, yaw: 1, velocityX: moving ? 2 : 0, velocityY: 0, velocityZ: 0, health: 100 };
      });
      const fields = { messageType: 2, length: 0, tick, lastProcessedInputSequence: tick, entities };
      const byteLength = reencoder.encode("snapshot", fields, {}).length;
      fields.length = byteLength - 3;
      const entityRoles = entities.map((entity) => ({ entityId: entity.entityId, position: { x: entity.x, y: entity.y, z: entity.z } }));
      for (let player = 0; player < players; player++) {
        const sequence = sequences[player]!++ & 0xffff;
        packet.sessionId = message.sessionId = sessions[player]!;
        packet.direction = message.direction = "serverToClient";
        packet.tUs = message.tUs = tUs;
        packet.packetIndex = message.packetIndex = packetIndex++;
        packet.payloadLength = byteLength + 20;
        packet.wireLength = message.packetWireLength = byteLength + 62;
        payload[0] = sequence & 0xff;
        payload[1] = sequence >> 8;
        packet.payload = payload.subarray(0, packet.payloadLength);
        analyzer.onPacket!(packet);
        message.type = "snapshot";
        message.byteLength = byteLength;
        message.fields = fields;
        message.roles = { sequence, ack: tick, ackBits: 0xffffffff, entities: entityRoles, tick };
        analyzer.onMessage(message);
        messages++;
      }
      tick++;
      nextSnapshot += snapshotEvery;
    } else {
      const tUs = startUs + nextInput;
      const inputSequence = Math.round(nextInput / inputEvery);
      const inputs = [0, 1, 2].map((back) => ({ moveX: 1, moveY: 0, aimYaw: ((inputSequence - back) % 600) / 100, aimPitch: 0, buttons: 0 }));
      const fields = { messageType: 1, length: 0, inputSequence, reportedRttMs: 60, inputs };
      const byteLength = reencoder.encode("input", fields, {}).length;
      fields.length = byteLength - 3;
      for (let player = 0; player < players; player++) {
        packet.sessionId = message.sessionId = sessions[player]!;
        packet.direction = message.direction = "clientToServer";
        packet.tUs = message.tUs = tUs + 30_000;
        packet.packetIndex = message.packetIndex = packetIndex++;
        packet.payloadLength = byteLength + 20;
        packet.wireLength = message.packetWireLength = byteLength + 62;
        payload[0] = inputSequence & 0xff;
        payload[1] = player;
        packet.payload = payload.subarray(0, packet.payloadLength);
        analyzer.onPacket!(packet);
        message.type = "input";
        message.byteLength = byteLength;
        message.fields = fields;
        message.roles = { sequence: inputSequence & 0xffff, ack: tick, ackBits: 0xffffffff, inputSequence, inputCount: 3 };
        analyzer.onMessage(message);
        messages++;
      }
      nextInput += inputEvery;
    }
  }
  const streamedMs = performance.now() - started;
  const streamedCpuMs = cpuMs(startedCpu);
  const finishStarted = performance.now();
  const finishCpu = process.cpuUsage();
  const report = analyzer.finish();
  const finishMs = performance.now() - finishStarted;
  const finishCpuMs = cpuMs(finishCpu);
  const totalMs = streamedMs + finishMs;
  console.log(`arena match: ${players} players, ${minutes} min, ${messages} messages, ${packetIndex} datagrams`);
  console.log(`  streaming (accounting + sampling + window copy): ${Math.round(streamedMs)} ms wall, ${Math.round(streamedCpuMs)} ms CPU = ${Math.round(messages / (streamedMs / 1000))} messages/s (${Math.round(messages / (streamedCpuMs / 1000))} messages per CPU second)`);
  console.log(`  finish (re-encoding trials on ${report.measuredWindow.messages} retained messages): ${Math.round(finishMs)} ms wall, ${Math.round(finishCpuMs)} ms CPU`);
  console.log(`  total ${(totalMs / 1000).toFixed(1)} s for recommendations (target < 30 s); plan saves ${(report.plan.savingsRatio * 100).toFixed(1)}% (${report.plan.steps.map((step) => step.kind).join(" + ")})`);
}

function cubeBench(): void {
  const scene = generateCubeScene({ cubes: 901, seconds: 2 });
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const report = feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), tolerances: { position: 0.001, orientation: 0.001, velocity: 0.01 } }), scene.events);
  const elapsedMs = performance.now() - started;
  const elapsedCpuMs = cpuMs(startedCpu);
  console.log(`cube scene: 901 cubes, 60 Hz, ${scene.snapshots} snapshots: ${Math.round(elapsedMs)} ms wall, ${Math.round(elapsedCpuMs)} ms CPU`);
  console.log(
    `  ${report.plan.megabitsPerSecondBefore.toFixed(2)} Mbit/s -> ${report.plan.megabitsPerSecondAfter.toFixed(3)} Mbit/s (${(report.plan.savingsRatio * 100).toFixed(2)}% saved: ${report.plan.steps.map((step) => `${step.kind} ${(step.savingsRatio * 100).toFixed(1)}%`).join(", ")})`,
  );
}

arenaBench();
if (process.env.BENCH_CUBES !== "0") cubeBench();
