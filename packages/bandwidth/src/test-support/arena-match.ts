import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GameMessage } from "@tickscope/core";
import { compileProtocol, type CompiledProtocol } from "@tickscope/core/protocol";
import type { SceneEvent } from "./cube-scene.js";

/** Path of the arena reference definition. */
export const ARENA_DEFINITION_PATH = fileURLToPath(new URL("../../../../examples/protocols/arena.json", import.meta.url));

/** The arena definition (parsed JSON). */
export function arenaDefinition(): Record<string, unknown> & { messages: { name: string }[] } {
  return JSON.parse(readFileSync(ARENA_DEFINITION_PATH, "utf8"));
}

/** Options of {@link generateArenaMatch}. */
export interface ArenaMatchOptions {
  players?: number;
  seconds?: number;
  snapshotHz?: number;
  /** One-way delay, ms. */
  oneWayMs?: number;
  /** Every n-th server datagram is lost on the way to the client. */
  lossEvery?: number;
  /** Share of players that stand still. */
  idleShare?: number;
}

const f = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * A small deterministic arena match encoded and decoded with the real arena
 * protocol (`examples/protocols/arena.json` via `@tickscope/core/protocol`):
 * the server sends every client a snapshot of all players at `snapshotHz`; each
 * client sends an input (3 redundant frames) per snapshot tick, acking the
 * server datagrams it received; a chat line every 2 s is resent once.
 * Events are in capture order as seen at the server.
 */
export function generateArenaMatch(options: ArenaMatchOptions = {}): { events: SceneEvent[]; protocol: CompiledProtocol; messages: number } {
  const players = options.players ?? 8;
  const seconds = options.seconds ?? 10;
  const hz = options.snapshotHz ?? 20;
  const oneWayUs = (options.oneWayMs ?? 30) * 1000;
  const lossEvery = options.lossEvery ?? 25;
  const idle = Math.round(players * (options.idleShare ?? 0.5));
  const protocol = compileProtocol(arenaDefinition());
  const startUs = 1_700_000_000_000_000;
  const tickUs = 1e6 / hz;
  type Pending = { tUs: number; order: number; sessionId: string; direction: GameMessage["direction"]; payload: Uint8Array };
  const pending: Pending[] = [];
  let order = 0;
  const serverSequence = new Array<number>(players).fill(0);
  const clientSequence = new Array<number>(players).fill(0);
  const received: number[][] = Array.from({ length: players }, () => []);
  let eventId = 0;
  for (let tick = 0; tick < seconds * hz; tick++) {
    const tUs = startUs + tick * tickUs;
    const time = tick / hz;
    const entities = Array.from({ length: players }, (_, id) => {
      const moving = id >= idle;
      const angle = moving ? time * 0.5 + id : id;
      const radius = 10 + id * 4;
      return {
        entityId: id,
        x: f(Math.cos(angle) * radius),
        y: f(Math.sin(angle) * radius),
        z: 0,
        yaw: f(((angle % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)),
        velocityX: moving ? f(-Math.sin(angle) * radius * 0.5) : 0,
        velocityY: moving ? f(Math.cos(angle) * radius * 0.5) : 0,
        velocityZ: 0,
        health: 100,
      };
    });
    for (let player = 0; player < players; player++) {
      const sessionId = `client-${player}`;
      const sequence = serverSequence[player]!++ & 0xffff;
      const acked = received[player]!;
      const ackBits = ackBitsOf(acked);
      const messages: { type: string; fields: Record<string, unknown> }[] = [
        { type: "snapshot", fields: { tick, lastProcessedInputSequence: tick, entities } },
      ];
      if (tick % (2 * hz) === 0) messages.push({ type: "chat", fields: { eventId: eventId, resendCount: 0, playerId: player, text: `gg ${tick}` } });
      const header = { sequence, ack: acked[acked.length - 1] ?? 0, ackBits, sendTimeUs: tUs - startUs };
      pending.push({ tUs, order: order++, sessionId, direction: "serverToClient", payload: protocol.encodeDatagram(messages as never, { header }).slice() });
      if (tick % (2 * hz) === 1) {
        const resend = { sequence: serverSequence[player]!++ & 0xffff, ack: header.ack, ackBits, sendTimeUs: tUs - startUs + 1000 };
        const chat = [{ type: "chat", fields: { eventId: eventId - 1, resendCount: 1, playerId: player, text: `gg ${tick - 1}` } }];
        pending.push({ tUs: tUs + 1000, order: order++, sessionId, direction: "serverToClient", payload: protocol.encodeDatagram(chat as never, { header: resend }).slice() });
      }
      const lost = lossEvery > 0 && sequence % lossEvery === lossEvery - 1;
      // The client's input for this tick leaves after the snapshot arrived and reaches the server one-way later.
      if (!lost) {
        acked.push(sequence);
        if (acked.length > 40) acked.shift();
      }
      const inputSequence = tick;
      const inputs = [0, 1, 2].map((back) => ({ moveX: player >= idle ? 1 : 0, moveY: 0, aimYaw: f(((tick - back) * 0.01) % 6.2), aimPitch: 0, buttons: 0 }));
      const clientHeader = { sequence: clientSequence[player]!++ & 0xffff, ack: acked[acked.length - 1] ?? 0, ackBits: ackBitsOf(acked), sendTimeUs: tUs - startUs + oneWayUs };
      pending.push({
        tUs: tUs + 2 * oneWayUs,
        order: order++,
        sessionId,
        direction: "clientToServer",
        payload: protocol.encodeDatagram([{ type: "input", fields: { inputSequence, reportedRttMs: (2 * oneWayUs) / 1000, inputs } }] as never, { header: clientHeader }).slice(),
      });
    }
    if (tick % (2 * hz) === 0) eventId++;
  }
  pending.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
  const events: SceneEvent[] = [];
  let messageCount = 0;
  pending.forEach((entry, packetIndex) => {
    const wireLength = entry.payload.length + 42;
    events.push({
      kind: "packet",
      packet: { sessionId: entry.sessionId, direction: entry.direction, tUs: entry.tUs, packetIndex, wireLength, payloadLength: entry.payload.length, frameCount: 1, payload: entry.payload },
    });
    protocol.decodeDatagram(
      entry.payload,
      { sessionId: entry.sessionId, direction: entry.direction, tUs: entry.tUs, packetIndex, packetWireLength: wireLength },
      (message) => {
        messageCount++;
        events.push({ kind: "message", message: { ...message, roles: { ...message.roles } } });
      },
      (anomaly) => {
        throw new Error(`arena test traffic failed to decode: ${anomaly.code} ${anomaly.detail}`);
      },
    );
  });
  return { events, protocol, messages: messageCount };
}

function ackBitsOf(acked: readonly number[]): number {
  const newest = acked[acked.length - 1];
  if (newest === undefined) return 0;
  let bits = 0;
  for (let bit = 0; bit < 32; bit++) if (acked.includes(newest - 1 - bit)) bits += 2 ** bit;
  return bits;
}
