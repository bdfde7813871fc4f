import v8 from "node:v8";
import vm from "node:vm";
import type { GameMessage, MessageRoles } from "@tickscope/core";
import { AnticheatAnalyzer } from "../src/index.js";

// Throughput and memory of all detectors together: 5,000 players, each a client at
// 60 Hz (input with position, ack, reported RTT), a server at 20 Hz (snapshots,
// a ping per second answered by a pong) and a shot every ~0.6 s. Message objects are
// reused (as capture does), so the figure is the analyzer's cost, not allocation.
v8.setFlagsFromString("--expose_gc");
const gc = vm.runInNewContext("gc") as () => void;

const PLAYERS = Number(process.env.ANTICHEAT_BENCH_PLAYERS ?? 5_000);
const SECONDS = Number(process.env.ANTICHEAT_BENCH_SECONDS ?? 20);
const T0 = 1_760_000_000_000_000;
const FRAME_US = 1_000_000 / 60;

interface Player {
  input: GameMessage;
  shot: GameMessage;
  pong: GameMessage;
  snapshot: GameMessage;
  ping: GameMessage;
  clientSequence: number;
  serverSequence: number;
  x: number;
  clockOffsetUs: number;
  /** LCG state: shots at irregular (human-like) times. */
  shotState: number;
}

function message(sessionId: string, direction: GameMessage["direction"], type: string, roles: MessageRoles): GameMessage {
  return { sessionId, direction, tUs: 0, packetIndex: 0, indexInPacket: 0, type, byteLength: 24, packetWireLength: 66, fields: {}, roles };
}

const players: Player[] = [];
for (let index = 0; index < PLAYERS; index++) {
  const id = `session-${index}`;
  players.push({
    input: message(id, "clientToServer", "input", { sequence: 0, sequenceBits: 16, ack: 0, sendTimeUs: 0, inputSequence: 0, inputCount: 3, position: { x: 0, y: 0, z: 0 } }),
    shot: message(id, "clientToServer", "shot", { sequence: 0, sequenceBits: 16, sendTimeUs: 0, targetTimeUs: 0, position: { x: 0, y: 0, z: 0 } }),
    pong: message(id, "clientToServer", "pong", { sequence: 0, sequenceBits: 16, sendTimeUs: 0, echoKey: "0", echoPhase: "reply" }),
    snapshot: message(id, "serverToClient", "snapshot", { sequence: 0, sequenceBits: 16, tick: 0 }),
    ping: message(id, "serverToClient", "ping", { sequence: 0, sequenceBits: 16, echoKey: "0", echoPhase: "request" }),
    clientSequence: index * 7,
    serverSequence: index * 11,
    x: 0,
    clockOffsetUs: 1e9 + index * 1e6,
    shotState: index + 1,
  });
}

let analyzer = new AnticheatAnalyzer();
let sink: (message: GameMessage) => void = (message) => analyzer.onMessage(message);
let packetIndex = 0;
let messages = 0;
let pausedMs = 0;
const echoKeys = Array.from({ length: 64 }, (_, index) => String(index));

function feed(player: Player, target: GameMessage, tUs: number): void {
  target.tUs = tUs;
  target.packetIndex = packetIndex++;
  sink(target);
  messages += 1;
}

const heapMb = () => {
  const pauseStarted = performance.now();
  gc();
  const heap = process.memoryUsage().heapUsed / 1e6;
  pausedMs += performance.now() - pauseStarted;
  return heap;
};
const heapAtStart = heapMb();
const heapSamples: string[] = [];
const frames = SECONDS * 60;

function run(sampleHeap: boolean): void {
for (let frame = 0; frame < frames; frame++) {
  const frameUs = T0 + frame * FRAME_US;
  for (let index = 0; index < PLAYERS; index++) {
    const player = players[index]!;
    const delayUs = 20_000 + ((frame * 7919 + index * 104729) % 5000);
    const claimed = frameUs - T0 + player.clockOffsetUs;
    if (frame % 3 === 0) {
      const snapshotRoles = player.snapshot.roles as { sequence: number; tick: number };
      snapshotRoles.sequence = player.serverSequence = (player.serverSequence + 1) & 0xffff;
      snapshotRoles.tick = frame / 3;
      feed(player, player.snapshot, frameUs);
    }
    if (frame % 60 === 0) {
      const pingRoles = player.ping.roles as { sequence: number; echoKey: string };
      pingRoles.sequence = player.serverSequence = (player.serverSequence + 1) & 0xffff;
      pingRoles.echoKey = echoKeys[(frame / 60) & 63]!;
      feed(player, player.ping, frameUs + 1);
    }
    player.x += 0.08;
    const inputRoles = player.input.roles as { sequence: number; ack: number; sendTimeUs: number; inputSequence: number; position: { x: number }; reportedRttMs?: number };
    inputRoles.sequence = player.clientSequence = (player.clientSequence + 1) & 0xffff;
    inputRoles.ack = player.serverSequence;
    inputRoles.sendTimeUs = claimed;
    inputRoles.inputSequence = frame;
    inputRoles.position.x = player.x;
    inputRoles.reportedRttMs = 45;
    feed(player, player.input, frameUs + delayUs);
    if (frame % 60 === 3) {
      const pongRoles = player.pong.roles as { sequence: number; sendTimeUs: number; echoKey: string };
      pongRoles.sequence = player.clientSequence = (player.clientSequence + 1) & 0xffff;
      pongRoles.sendTimeUs = claimed;
      pongRoles.echoKey = echoKeys[Math.floor(frame / 60) & 63]!;
      feed(player, player.pong, frameUs + delayUs + 10);
    }
    player.shotState = (Math.imul(player.shotState, 1103515245) + 12345) >>> 0;
    if ((player.shotState >>> 16) % 40 === 0) {
      const shotRoles = player.shot.roles as { sequence: number; sendTimeUs: number; targetTimeUs: number; position: { x: number } };
      shotRoles.sequence = player.clientSequence = (player.clientSequence + 1) & 0xffff;
      shotRoles.sendTimeUs = claimed;
      shotRoles.targetTimeUs = claimed - 125_000;
      shotRoles.position.x = player.x;
      feed(player, player.shot, frameUs + delayUs + 20);
    }
  }
  if (sampleHeap && (frame + 1) % (5 * 60) === 0) heapSamples.push(`${(frame + 1) / 60} s of capture: heap ${heapMb().toFixed(1)} MB`);
}
}

// Baseline: the same loop into a no-op sink (message mutation and loop cost only).
sink = () => {};
const baselineCpu = process.cpuUsage();
run(false);
const baselineCpuDelta = process.cpuUsage(baselineCpu);
const baselineSeconds = (baselineCpuDelta.user + baselineCpuDelta.system) / 1e6;
messages = 0;
sink = (message) => analyzer.onMessage(message);
analyzer = new AnticheatAnalyzer();

const started = performance.now();
const cpuStarted = process.cpuUsage();
run(true);
const elapsedSeconds = (performance.now() - started - pausedMs) / 1000;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6 - pausedMs / 1000;
const report = analyzer.finish();
const totalSeconds = (performance.now() - started) / 1000;
console.log(`anticheat bench: ${PLAYERS} players, ${SECONDS} s of capture, ${messages} messages`);
console.log(`  onMessage through all detectors: ${(messages / elapsedSeconds / 1e6).toFixed(2)} M messages/s (${elapsedSeconds.toFixed(2)} s)`);
console.log(`  per CPU second (the machine may be shared): ${(messages / cpuSeconds / 1e6).toFixed(2)} M messages/s (${cpuSeconds.toFixed(2)} s CPU incl. the loop that builds the messages)`);
console.log(`  detectors only (CPU minus a no-op baseline of ${baselineSeconds.toFixed(2)} s): ${(messages / Math.max(1e-9, cpuSeconds - baselineSeconds) / 1e6).toFixed(2)} M messages/s`);
console.log(`  including finish(): ${(messages / totalSeconds / 1e6).toFixed(2)} M messages/s; findings ${report.findings.length} ${JSON.stringify([...new Set(report.findings.map((finding) => finding.kind))])} (honest synthetic traffic: expected 0), players ${report.players.length}`);
console.log(`  heap before: ${heapAtStart.toFixed(1)} MB`);
for (const sample of heapSamples) console.log(`  ${sample}`);
console.log(`  per player: ${((heapMb() - heapAtStart) * 1e3 / PLAYERS).toFixed(1)} KB (bounded: rings and fixed slots, no growth with capture length)`);
