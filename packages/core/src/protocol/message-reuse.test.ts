import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { compileProtocol, type CompileProtocolOptions, type MessageToEncode } from "./compile-protocol.js";
import { ARENA_TEST_HEADER, arenaEntity, arenaInput } from "../test-support/arena-messages.js";
import { loadExample } from "../test-support/protocols.js";

const arena = loadExample("arena");

const full = compileProtocol(arena);
const datagrams: MessageToEncode[][] = [
  [{ type: "spawn", fields: { eventId: 1, resendCount: 0, tick: 5, entityId: 3, playerId: 3, x: 1, y: 2, z: 3 } }, { type: "ping", fields: { pingId: 9 } }],
  [{ type: "snapshot", fields: { tick: 6, lastProcessedInputSequence: 3, entities: [arenaEntity(1, 10.5), arenaEntity(2, -7)] } }, { type: "pong", fields: { pingId: 9, processingUs: 15 } }],
  [arenaInput(5), arenaInput(6), { type: "chat", fields: { eventId: 2, resendCount: 1, playerId: 2, text: "hi" } }],
  [{ type: "snapshot", fields: { tick: 7, lastProcessedInputSequence: 4, entities: [arenaEntity(3, 1)] } }],
];
const payloads = datagrams.map((messages, index) => full.encodeDatagram(messages, { header: { ...ARENA_TEST_HEADER, sequence: index, sendTimeUs: 1000 + index } }));

interface Seen {
  message: GameMessage;
  roles: GameMessage["roles"];
  copy: unknown;
  roleKeys: string[];
}

/** What each onMessage call shows (copied then), and the objects themselves. */
function during(protocol: ReturnType<typeof compileProtocol>): Seen[] {
  const seen: Seen[] = [];
  payloads.forEach((payload, index) =>
    protocol.decodeDatagram(
      payload,
      { sessionId: `s${index % 2}`, direction: index % 2 === 0 ? "clientToServer" : "serverToClient", tUs: 10 * index, packetIndex: index, packetWireLength: 60 + index },
      (message) => seen.push({ message, roles: message.roles, copy: structuredClone(message), roleKeys: Object.keys(message.roles) }),
      (anomaly) => expect.fail(anomaly.detail),
    ),
  );
  return seen;
}

describe("messages: reused", () => {
  const variants: CompileProtocolOptions[] = [{}, { fields: "roles", entityRoles: "reused" }, { mode: "interpreted" }];
  for (const options of variants) {
    it(`shows in every onMessage call what a new message would (${JSON.stringify(options)}): values, roles keys and order, nothing left from the message before`, () => {
      const fresh = during(compileProtocol(arena, options));
      const reused = during(compileProtocol(arena, { ...options, messages: "reused" }));
      expect(reused.map((item) => item.copy)).toEqual(fresh.map((item) => item.copy));
      expect(reused.map((item) => item.roleKeys)).toEqual(fresh.map((item) => item.roleKeys));
      // One message object for all; in compiled mode one roles object too.
      expect(new Set(reused.map((item) => item.message)).size).toBe(1);
      expect(new Set(reused.map((item) => item.roles)).size).toBe(options.mode === "interpreted" ? reused.length : 1);
      expect(new Set(fresh.map((item) => item.message)).size).toBe(fresh.length);
      expect(new Set(fresh.map((item) => item.roles)).size).toBe(fresh.length);
    });
  }

  it("rewrites the objects in place: one kept past its call shows the latest message (valid only during onMessage)", () => {
    const reused = during(compileProtocol(arena, { messages: "reused" }));
    const first = reused[0]!;
    expect(first.message.type).toBe("snapshot");
    expect(first.message.packetIndex).toBe(3);
    expect(first.roles.position).toBeUndefined();
    expect(first.roles.tick).toBe(7);
    // The spawn's own values were seen during its call.
    expect((first.copy as GameMessage).roles.position).toEqual({ x: expect.any(Number), y: expect.any(Number), z: expect.any(Number) });
    expect((first.copy as GameMessage).type).toBe("spawn");
  });

  it("truncated and corrupted datagrams: every onMessage call and anomaly of the reusing decoder equals the fresh one's", () => {
    // Every prefix of every datagram, and every datagram with one byte flipped (hostile input through the reused objects).
    const hostile: Uint8Array[] = [];
    for (const payload of payloads) {
      for (let length = 0; length < payload.length; length++) hostile.push(payload.subarray(0, length));
      for (let index = 0; index < payload.length; index++) {
        const changed = Uint8Array.from(payload);
        changed[index] = changed[index]! ^ 0xa5;
        hostile.push(changed);
      }
    }
    const observe = (options: CompileProtocolOptions): unknown[] => {
      const protocol = compileProtocol(arena, options);
      const events: unknown[] = [];
      hostile.forEach((payload, index) =>
        protocol.decodeDatagram(
          payload,
          { sessionId: "s", direction: index % 2 === 0 ? "clientToServer" : "serverToClient", tUs: index, packetIndex: index, packetWireLength: 60 },
          (message) => events.push(structuredClone(message)),
          (anomaly) => events.push({ anomaly: anomaly.code, packetIndex: anomaly.packetIndex }),
        ),
      );
      return events;
    };
    for (const options of [{ fields: "roles", entityRoles: "reused" }, {}] as CompileProtocolOptions[]) {
      const fresh = observe(options);
      expect(fresh.some((event) => (event as { anomaly?: string }).anomaly !== undefined)).toBe(true);
      expect(observe({ ...options, messages: "reused" })).toEqual(fresh);
    }
  });

  it("decodeDatagramFields still returns new messages and roles objects", () => {
    const protocol = compileProtocol(arena, { fields: "roles", entityRoles: "reused", messages: "reused" });
    const a = protocol.decodeDatagramFields(payloads[2]!);
    const b = protocol.decodeDatagramFields(payloads[2]!);
    expect(a.messages[0]!.roles).not.toBe(a.messages[1]!.roles);
    expect(a.messages[0]!.roles).not.toBe(b.messages[0]!.roles);
    expect(a.messages.map((message) => message.roles)).toEqual(full.decodeDatagramFields(payloads[2]!).messages.map((message) => message.roles));
    // A reused decode in between does not touch them.
    during(protocol);
    expect(a.messages.map((message) => message.roles)).toEqual(b.messages.map((message) => message.roles));
  });
});
