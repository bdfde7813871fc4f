import type { DecodeAnomaly, Direction, GameMessage, MessageRoles } from "@tickscope/core";

/** Builds small hand-made message streams for detector tests (packet indices assigned in order). */
export class StreamBuilder {
  readonly messages: GameMessage[] = [];
  private packetIndex = 0;

  constructor(readonly sessionId = "session-a") {}

  /** Adds a message in its own datagram (or in the previous one with `sameDatagram`). */
  add(direction: Direction, tUs: number, type: string, roles: MessageRoles, sameDatagram = false): GameMessage {
    const message: GameMessage = {
      sessionId: this.sessionId,
      direction,
      tUs,
      packetIndex: sameDatagram ? this.packetIndex - 1 : this.packetIndex++,
      indexInPacket: 0,
      type,
      byteLength: 20,
      packetWireLength: 62,
      fields: {},
      roles,
    };
    this.messages.push(message);
    return message;
  }

  /** Client message. */
  client(tUs: number, type: string, roles: MessageRoles, sameDatagram = false): GameMessage {
    return this.add("clientToServer", tUs, type, roles, sameDatagram);
  }

  /** Server message. */
  server(tUs: number, type: string, roles: MessageRoles): GameMessage {
    return this.add("serverToClient", tUs, type, roles);
  }

  /** A decode anomaly at the next packet index. */
  anomaly(tUs: number, code: string, direction: Direction = "clientToServer"): DecodeAnomaly {
    return { sessionId: this.sessionId, direction, tUs, packetIndex: this.packetIndex++, code, detail: "test", fieldPath: "input.x" };
  }
}

/** Sorts messages of several builders by time (stable). */
export function mergeStreams(...builders: StreamBuilder[]): GameMessage[] {
  return builders.flatMap((builder) => builder.messages).sort((a, b) => a.tUs - b.tUs);
}
