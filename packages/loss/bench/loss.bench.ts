/**
 * Loss analysis throughput: N player sessions × M minutes at 60 Hz, both
 * directions (server snapshots with an entity position, client inputs with
 * 3-input redundancy and ack/ackBits), Gilbert–Elliott loss (p 1%, r 30%),
 * 0.5% reordering, 0.2% duplicates, 16-bit sequences (wrap-around every
 * 18 minutes). Messages are generated on the fly into reused objects so the
 * bench measures the analyzer, not the generator's allocations.
 *
 *   pnpm --filter @tickscope/loss bench            # 100 sessions × 30 min
 *   pnpm --filter @tickscope/loss bench -- 10 5    # 10 sessions × 5 min
 */
import type { GameMessage, MessageRoles } from "@tickscope/core";
import { createLossAnalyzer } from "../src/loss-analyzer.js";
import { SeededRandom } from "../src/replay.js";

const sessions = Number(process.argv[2] ?? 100);
const minutes = Number(process.argv[3] ?? 30);
const rateHz = 60;
const ticks = Math.round(minutes * 60 * rateHz);
const intervalUs = 1e6 / rateHz;
const random = new SeededRandom("loss-bench");

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
    roles.entityId = 1;
    roles.position = { x: 0, y: 0, z: 0 };
    roles.velocity = { x: 1, y: 0, z: 0 };
    roles.tick = 0;
  } else {
    roles.inputSequence = 0;
    roles.inputCount = 3;
  }
  const message: GameMessage = { sessionId, direction, tUs: 0, packetIndex: 0, indexInPacket: 0, type, byteLength: 48, packetWireLength: 90, fields: {}, roles };
  return { message, roles, sequence: 0, bad: false, held: false, heldSequence: 0 };
}

const lanes: Lane[] = [];
for (let session = 0; session < sessions; session++) {
  const id = `udp:10.0.${session >> 8}.${session & 255}:50000-203.0.113.1:7777`;
  lanes.push(lane(id, "clientToServer", "input"), lane(id, "serverToClient", "snapshot"));
}

const analyzer = createLossAnalyzer();
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
    if (roles.position !== undefined) {
      roles.position.x = tick / rateHz;
      roles.tick = tick;
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
const finishStarted = process.hrtime.bigint();
const report = analyzer.finish();
const finishSeconds = Number(process.hrtime.bigint() - finishStarted) / 1e9;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const heapMb = process.memoryUsage().heapUsed / 1048576;
const lossRates = report.sessions.map((row) => row.lossRate);
const meanLoss = lossRates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, lossRates.length);
console.log(
  `loss bench: ${sessions} sessions × ${minutes} min × ${rateHz} Hz × 2 directions: ${delivered.toLocaleString("en-US")} messages in ${seconds.toFixed(2)} s ` +
    `(generation included) = ${Math.round(delivered / seconds).toLocaleString("en-US")} messages/s wall, ` +
    `${Math.round(delivered / cpuSeconds).toLocaleString("en-US")} messages/s of CPU (${cpuSeconds.toFixed(2)} s CPU); ${report.sessions.length} streams, ` +
    `mean loss ${(meanLoss * 100).toFixed(2)}%, finish() ${finishSeconds.toFixed(2)} s, heap ${heapMb.toFixed(0)} MB`,
);
