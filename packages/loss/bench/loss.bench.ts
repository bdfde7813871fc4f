/**
 * Loss analysis throughput: N player sessions × M minutes at 60 Hz, both
 * directions (server snapshots with an entity position — or an `entities[]`
 * array of K entities with `--entities K`, as arena snapshots carry — client
 * inputs with 3-input redundancy and ack/ackBits), Gilbert–Elliott loss
 * (p 1%, r 30%), 0.5% reordering, 0.2% duplicates, 16-bit sequences
 * (wrap-around every 18 minutes). Messages are generated on the fly into
 * reused objects so the bench measures the analyzer, not the generator's
 * allocations. The machine is shared, so throughput is given per CPU second
 * (`process.cpuUsage`), for the message phase and `finish()` separately, over
 * several rounds (best and median).
 *
 *   pnpm --filter @tickscope/loss bench                      # 100 sessions × 30 min, 3 rounds
 *   pnpm --filter @tickscope/loss bench -- 10 5              # 10 sessions × 5 min
 *   pnpm --filter @tickscope/loss bench -- --quick           # 20 sessions × 10 min, 16 entities, 5 rounds
 *   pnpm --filter @tickscope/loss bench -- --rounds 5 --entities 32
 *   pnpm --filter @tickscope/loss bench -- --arena 120 60   # a simulated arena match (@tickscope/sim →
 *                                                          # pcapng → capture → arena decoder), decoded once,
 *                                                          # then analyzed: 120 players × 60 s
 */
import { readFileSync } from "node:fs";
import type { EntityRoles, GameMessage, MessageRoles } from "@tickscope/core";
import { createLossAnalyzer, type LossAnalyzer } from "../src/loss-analyzer.js";
import { SeededRandom } from "../src/replay.js";

const positional: string[] = [];
const flags = new Map<string, string>();
const argv = process.argv.slice(2);
for (let index = 0; index < argv.length; index++) {
  const argument = argv[index]!;
  if (argument === "--quick") flags.set("quick", "1");
  else if (argument === "--arena") flags.set("arena", "1");
  else if (argument.startsWith("--")) flags.set(argument.slice(2), argv[++index] ?? "");
  else positional.push(argument);
}
const quick = flags.has("quick");
const sessions = Number(positional[0] ?? (quick ? 20 : 100));
const minutes = Number(positional[1] ?? (quick ? 10 : 30));
const rounds = Number(flags.get("rounds") ?? (quick ? 5 : 3));
const arena = flags.has("arena");
const entityCount = Number(flags.get("entities") ?? (quick ? 16 : 0));
const rateHz = 60;
const ticks = Math.round(minutes * 60 * rateHz);
const intervalUs = 1e6 / rateHz;

interface Lane {
  message: GameMessage;
  roles: MessageRoles;
  sequence: number;
  bad: boolean;
  held: boolean;
  heldSequence: number;
}

function lane(sessionId: string, direction: "clientToServer" | "serverToClient", type: string): Lane {
  const roles: MessageRoles = { sequence: 0, sequenceBits: 16, ack: 0, ackBits: 0xffffffff, ackBitsWidth: 32 };
  if (type === "snapshot") {
    if (entityCount > 0) {
      const entities: EntityRoles[] = [];
      for (let entity = 0; entity < entityCount; entity++) entities.push({ entityId: entity + 1, position: { x: 0, y: entity, z: 0 }, velocity: { x: 1, y: 0, z: 0 } });
      roles.entities = entities;
    } else {
      roles.entityId = 1;
      roles.position = { x: 0, y: 0, z: 0 };
      roles.velocity = { x: 1, y: 0, z: 0 };
    }
    roles.tick = 0;
  } else {
    roles.inputSequence = 0;
    roles.inputCount = 3;
  }
  const message: GameMessage = { sessionId, direction, tUs: 0, packetIndex: 0, indexInPacket: 0, type, byteLength: 48, packetWireLength: 90, fields: {}, roles };
  return { message, roles, sequence: 0, bad: false, held: false, heldSequence: 0 };
}

interface Round {
  delivered: number;
  messageCpuSeconds: number;
  finishCpuSeconds: number;
  wallSeconds: number;
  streams: number;
  meanLoss: number;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function runRound(): Round {
  const random = new SeededRandom("loss-bench");
  const lanes: Lane[] = [];
  for (let session = 0; session < sessions; session++) {
    const id = `udp:10.0.${session >> 8}.${session & 255}:50000-203.0.113.1:7777`;
    lanes.push(lane(id, "clientToServer", "input"), lane(id, "serverToClient", "snapshot"));
  }
  const analyzer: LossAnalyzer = createLossAnalyzer();
  let packetIndex = 0;
  let delivered = 0;
  const startUs = 1_767_225_600_000_000;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let tick = 0; tick < ticks; tick++) {
    const tUs = startUs + tick * intervalUs;
    for (let index = 0; index < lanes.length; index++) {
      const current = lanes[index]!;
      const sequence = current.sequence;
      current.sequence = (sequence + 1) & 0xffff;
      if (current.bad) {
        if (random.next() < 0.3) current.bad = false;
      } else if (random.next() < 0.01) current.bad = true;
      if (current.bad) continue;
      const message = current.message;
      const roles = current.roles;
      message.tUs = tUs;
      roles.ack = (lanes[index ^ 1]!.sequence - 2) & 0xffff;
      if (roles.inputSequence !== undefined) roles.inputSequence = tick;
      if (roles.tick !== undefined) {
        roles.tick = tick;
        if (roles.position !== undefined) roles.position.x = tick / rateHz;
        const entities = roles.entities;
        if (entities !== undefined) for (let entity = 0; entity < entities.length; entity++) entities[entity]!.position!.x = tick / rateHz + (entity & 3) * (tick & 1) * 0.01;
      }
      const draw = random.next();
      if (draw < 0.005 && !current.held) {
        // Reorder: deliver this one after the next.
        current.held = true;
        current.heldSequence = sequence;
        continue;
      }
      message.packetIndex = packetIndex++;
      roles.sequence = sequence;
      analyzer.onMessage(message);
      delivered += 1;
      if (draw > 0.998) {
        message.packetIndex = packetIndex++;
        analyzer.onMessage(message);
        delivered += 1;
      }
      if (current.held) {
        current.held = false;
        message.packetIndex = packetIndex++;
        roles.sequence = current.heldSequence;
        analyzer.onMessage(message);
        delivered += 1;
      }
    }
  }
  const messageCpuSeconds = cpuSecondsSince(cpuStarted);
  const finishCpuStarted = process.cpuUsage();
  const report = analyzer.finish();
  const finishCpuSeconds = cpuSecondsSince(finishCpuStarted);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lossRates = report.sessions.map((row) => row.lossRate);
  const meanLoss = lossRates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, lossRates.length);
  return { delivered, messageCpuSeconds, finishCpuSeconds, wallSeconds, streams: report.sessions.length, meanLoss };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Messages of a simulated arena match, decoded once (cloned: a decoder may reuse its objects). */
async function arenaMessages(players: number, seconds: number): Promise<GameMessage[]> {
  // Loaded dynamically (devDependencies, built dist) with local shapes.
  const sim = (await import("@tickscope/sim")) as unknown as { simulateMatchToMemory(options: Record<string, unknown>): { pcapng: Uint8Array } };
  const capture = (await import("@tickscope/capture")) as unknown as {
    runCapturePipeline(options: { sources: Uint8Array[]; decoder: unknown; analyzers: unknown[] }): Promise<unknown>;
  };
  const protocol = (await import("@tickscope/core/protocol")) as unknown as { compileProtocol(definition: string): unknown };
  const match = sim.simulateMatchToMemory({ seed: 11, players, durationMs: seconds * 1000, profile: "wifi-congested" });
  const definition = readFileSync(new URL("../../../examples/protocols/arena.json", import.meta.url), "utf8");
  const messages: GameMessage[] = [];
  const collector = { name: "collect", onMessage: (message: GameMessage) => messages.push(structuredClone(message)), finish: () => null };
  await capture.runCapturePipeline({ sources: [match.pcapng], decoder: protocol.compileProtocol(definition), analyzers: [collector] });
  console.log(`arena match: ${players} players × ${seconds} s, ${(match.pcapng.length / 1048576).toFixed(0)} MB pcapng, ${messages.length.toLocaleString("en-US")} messages`);
  return messages;
}

function runArenaRound(messages: GameMessage[]): Round {
  const analyzer: LossAnalyzer = createLossAnalyzer();
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let index = 0; index < messages.length; index++) analyzer.onMessage(messages[index]!);
  const messageCpuSeconds = cpuSecondsSince(cpuStarted);
  const finishCpuStarted = process.cpuUsage();
  const report = analyzer.finish();
  const finishCpuSeconds = cpuSecondsSince(finishCpuStarted);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lossRates = report.sessions.map((row) => row.lossRate);
  const meanLoss = lossRates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, lossRates.length);
  return { delivered: messages.length, messageCpuSeconds, finishCpuSeconds, wallSeconds, streams: report.sessions.length, meanLoss };
}

const recorded = arena ? await arenaMessages(Number(positional[0] ?? 120), Number(positional[1] ?? 60)) : undefined;
const results: Round[] = [];
for (let round = 0; round < rounds; round++) {
  const result = recorded === undefined ? runRound() : runArenaRound(recorded);
  results.push(result);
  const total = result.messageCpuSeconds + result.finishCpuSeconds;
  console.log(
    `round ${round + 1}: ${result.delivered.toLocaleString("en-US")} messages, CPU ${total.toFixed(2)} s ` +
      `(messages ${result.messageCpuSeconds.toFixed(2)} s${arena ? "" : " incl. generation"}, finish() ${result.finishCpuSeconds.toFixed(2)} s), wall ${result.wallSeconds.toFixed(2)} s`,
  );
}
const delivered = results[0]!.delivered;
const totals = results.map((result) => result.messageCpuSeconds + result.finishCpuSeconds);
const messageRates = results.map((result) => delivered / result.messageCpuSeconds);
const totalRates = totals.map((total) => delivered / total);
const heapMb = process.memoryUsage().heapUsed / 1048576;
console.log(
  (arena
    ? "loss bench (arena match, messages decoded beforehand): "
    : `loss bench: ${sessions} sessions × ${minutes} min × ${rateHz} Hz × 2 directions, ${entityCount === 0 ? "1 entity role" : `${entityCount} entities`} per snapshot: `) +
    `${delivered.toLocaleString("en-US")} messages, ${results[0]!.streams} streams, mean loss ${(results[0]!.meanLoss * 100).toFixed(2)}%, ${rounds} rounds\n` +
    `  messages/s of CPU incl. finish(): best ${Math.round(Math.max(...totalRates)).toLocaleString("en-US")}, median ${Math.round(median(totalRates)).toLocaleString("en-US")}\n` +
    `  messages/s of CPU, message phase${arena ? "" : " (generation included)"}: best ${Math.round(Math.max(...messageRates)).toLocaleString("en-US")}, median ${Math.round(median(messageRates)).toLocaleString("en-US")}\n` +
    `  finish() CPU s: best ${Math.min(...results.map((result) => result.finishCpuSeconds)).toFixed(3)}, median ${median(results.map((result) => result.finishCpuSeconds)).toFixed(3)}; heap ${heapMb.toFixed(0)} MB`,
);
