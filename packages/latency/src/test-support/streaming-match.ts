import type { GameMessage, MessageRoles } from "@tickscope/core";

/** Options of {@link streamMatch}. */
export interface StreamingMatchOptions {
  players: number;
  durationSeconds: number;
  serverHz?: number;
  clientHz?: number;
  baseRttMs?: number;
  startUs?: number;
}

/**
 * A large match generated on the fly (nothing stored): a server at
 * `serverHz` sending each player a 2-message datagram (snapshot + events,
 * header roles copied on both), each client sending an input datagram at
 * `clientHz`, 16-bit header sequence/ack/ackBits/sendTime, captured at each
 * client, in time order. The same message objects are reused between calls
 * (analyzers must not keep them).
 */
export function* streamMatch(options: StreamingMatchOptions): Generator<GameMessage> {
  const serverPeriodUs = 1e6 / (options.serverHz ?? 60);
  const clientEvery = Math.max(1, Math.round((options.serverHz ?? 60) / (options.clientHz ?? 30)));
  const oneWayUs = ((options.baseRttMs ?? 50) * 1000) / 2;
  const startUs = options.startUs ?? 1_700_000_000_000_000;
  const ticks = Math.floor((options.durationSeconds * 1e6) / serverPeriodUs);
  const players = options.players;
  const sessionIds = Array.from({ length: players }, (_, index) => `p${String(index).padStart(4, "0")}`);
  const phaseUs = Array.from({ length: players }, (_, index) => ((index * 7919) % 1000) / 1000 * serverPeriodUs);
  const clientSequence = new Int32Array(players);
  const inputRoles: MessageRoles = {};
  const snapshotRoles: MessageRoles = {};
  const input: GameMessage = { sessionId: "", direction: "clientToServer", tUs: 0, packetIndex: 0, indexInPacket: 0, type: "input", byteLength: 60, packetWireLength: 110, fields: {}, roles: inputRoles };
  const snapshot: GameMessage = { sessionId: "", direction: "serverToClient", tUs: 0, packetIndex: 0, indexInPacket: 0, type: "snapshot", byteLength: 200, packetWireLength: 290, fields: {}, roles: snapshotRoles };
  const events: GameMessage = { ...snapshot, indexInPacket: 1, type: "events", byteLength: 40, roles: snapshotRoles };
  let packetIndex = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const tickUs = startUs + tick * serverPeriodUs;
    for (let player = 0; player < players; player++) {
      const clientSendUs = tickUs + phaseUs[player];
      // Server datagram sent at tick − 1.5 periods arrives now-ish (captured at the client).
      const serverTick = tick - Math.round(oneWayUs / serverPeriodUs);
      if (serverTick >= 0) {
        const arriveUs = clientSendUs - 1;
        const serverSendUs = startUs + serverTick * serverPeriodUs;
        const acked = Math.floor((serverSendUs - oneWayUs - startUs - phaseUs[player]) / (serverPeriodUs * clientEvery));
        snapshotRoles.sequence = serverTick & 0xffff;
        snapshotRoles.sequenceBits = 16;
        snapshotRoles.sendTimeUs = serverSendUs;
        snapshotRoles.ack = acked >= 0 ? acked & 0xffff : undefined;
        snapshotRoles.ackBits = 0xffffffff;
        snapshotRoles.ackBitsWidth = 32;
        snapshotRoles.tick = serverTick;
        snapshot.sessionId = sessionIds[player];
        snapshot.tUs = arriveUs;
        snapshot.packetIndex = packetIndex;
        events.sessionId = sessionIds[player];
        events.tUs = arriveUs;
        events.packetIndex = packetIndex;
        packetIndex += 1;
        yield snapshot;
        yield events;
      }
      if (tick % clientEvery === 0) {
        const sequence = clientSequence[player]++;
        const heard = Math.floor((clientSendUs - oneWayUs - startUs) / serverPeriodUs);
        inputRoles.sequence = sequence & 0xffff;
        inputRoles.sequenceBits = 16;
        inputRoles.sendTimeUs = clientSendUs;
        inputRoles.ack = heard >= 0 ? heard & 0xffff : undefined;
        inputRoles.ackBits = 0xffffffff;
        inputRoles.ackBitsWidth = 32;
        input.sessionId = sessionIds[player];
        input.tUs = clientSendUs;
        input.packetIndex = packetIndex;
        packetIndex += 1;
        yield input;
      }
    }
  }
}
