import type { Direction, GameMessage, MessageAnalyzer, MessageRoles } from "@tickscope/core";

/** One synthetic client: 60 Hz client→server datagrams, 30 Hz server→client, pings every second. */
export interface SyntheticClient {
  sessionId: string;
  /** One-way delay, µs. */
  delayUs: number;
}

/**
 * Feeds `analyzer` synthetic arena-like traffic (sequence, ack, sendTime, ping/pong roles)
 * for `clients` from `startUs` for `durationUs`, in capture (server) time order.
 * Returns the next packet index.
 */
export function feedSyntheticTraffic(
  analyzer: MessageAnalyzer<unknown>,
  clients: readonly SyntheticClient[],
  startUs: number,
  durationUs: number,
  firstPacketIndex = 0,
): number {
  let packetIndex = firstPacketIndex;
  const tickUs = 1_000_000 / 60;
  const message: GameMessage = {
    sessionId: "",
    direction: "clientToServer",
    tUs: 0,
    packetIndex: 0,
    indexInPacket: 0,
    type: "input",
    byteLength: 40,
    packetWireLength: 82,
    fields: {},
    roles: {},
  };
  const send = (sessionId: string, direction: Direction, tUs: number, roles: MessageRoles, type: string): void => {
    message.sessionId = sessionId;
    message.direction = direction;
    message.tUs = tUs;
    message.packetIndex = packetIndex;
    message.type = type;
    message.roles = roles;
    analyzer.onPacket?.({ sessionId, direction, tUs, packetIndex, wireLength: 82, payloadLength: 40, frameCount: 1 });
    analyzer.onMessage(message);
    packetIndex += 1;
  };
  const ticks = Math.floor(durationUs / tickUs);
  const firstTick = Math.round(startUs / tickUs);
  for (let tick = 0; tick < ticks; tick += 1) {
    const tUs = startUs + tick * tickUs;
    for (const client of clients) {
      const clientSequence = firstTick + tick;
      const serverSequence = Math.floor(clientSequence / 2);
      // the client acks the server datagram it received one RTT ago
      const acked = Math.floor((clientSequence - Math.round((2 * client.delayUs) / tickUs)) / 2);
      send(client.sessionId, "clientToServer", tUs, { sequence: clientSequence % 65536, sequenceBits: 16, ack: acked % 65536, sendTimeUs: tUs + 5e12 }, "input");
      if (tick % 2 === 0) {
        send(client.sessionId, "serverToClient", tUs + 100, { sequence: serverSequence % 65536, sequenceBits: 16, ack: clientSequence % 65536, sendTimeUs: tUs + 7e12 }, "snapshot");
      }
      if (tick % 60 === 0) {
        const key = String(Math.floor(tUs / 1e6));
        send(client.sessionId, "clientToServer", tUs + 200, { echoKey: key, echoPhase: "request" }, "ping");
        send(client.sessionId, "serverToClient", tUs + 300, { echoKey: key, echoPhase: "reply" }, "pong");
      }
    }
  }
  return packetIndex;
}

/** `count` clients named `prefix-0` … with a 20 ms one-way delay. */
export function syntheticClients(count: number, prefix = "session"): SyntheticClient[] {
  return Array.from({ length: count }, (_, index) => ({ sessionId: `${prefix}-${index}`, delayUs: 20_000 }));
}
