import { describe, expect, it } from "vitest";
import type { FieldRecord, GameMessage } from "../game-message.js";
import { compileProtocol, type CompileProtocolOptions, type MessageToEncode } from "./compile-protocol.js";
import { ARENA_TEST_HEADER, arenaEntity, arenaInput } from "../test-support/arena-messages.js";
import { loadExample } from "../test-support/protocols.js";
import type { ProtocolDefinition } from "./definition-schema.js";

const arena = loadExample("arena");
const context = { sessionId: "s", direction: "serverToClient" as const, tUs: 1, packetIndex: 0, packetWireLength: 100 };

/** Each message's fields and roles as seen during its onMessage call (copied then), and the records themselves. */
function during(protocol: ReturnType<typeof compileProtocol>, payloads: readonly Uint8Array[]): { seen: { keys: string[]; fields: unknown; roles: unknown }[]; records: FieldRecord[] } {
  const seen: { keys: string[]; fields: unknown; roles: unknown }[] = [];
  const records: FieldRecord[] = [];
  for (const payload of payloads) {
    protocol.decodeDatagram(
      payload,
      context,
      (message: GameMessage) => {
        seen.push({ keys: Object.keys(message.fields), fields: structuredClone(message.fields), roles: structuredClone(message.roles) });
        records.push(message.fields);
      },
      (anomaly) => expect.fail(anomaly.detail),
    );
  }
  return { seen, records };
}

describe("the field records of roles-only frames", () => {
  const full = compileProtocol(arena);
  const datagrams: MessageToEncode[][] = [
    [{ type: "snapshot", fields: { tick: 1, lastProcessedInputSequence: 3, entities: [arenaEntity(1, 10.5), arenaEntity(2, -7)] } }, { type: "ping", fields: { pingId: 9 } }],
    [arenaInput(5), arenaInput(6)],
    [{ type: "snapshot", fields: { tick: 2, lastProcessedInputSequence: 4, entities: [arenaEntity(3, 1)] } }, { type: "chat", fields: { eventId: 1, resendCount: 0, playerId: 2, text: "hi" } }],
    [{ type: "pong", fields: { pingId: 9, processingUs: 15 } }, arenaInput(7)],
  ];
  const payloads = datagrams.map((messages, index) => full.encodeDatagram(messages, { header: { ...ARENA_TEST_HEADER, sequence: index } }));

  for (const options of [{ fields: "roles" }, { fields: "roles", entityRoles: "reused" }, { fields: () => false }] as CompileProtocolOptions[]) {
    it(`hold, during each onMessage call, what a new record would: same keys in the same order and values (${JSON.stringify(options.fields === "roles" ? options : "function")})`, () => {
      const reused = compileProtocol(arena, options);
      const { seen } = during(reused, payloads);
      // decodeDatagramFields keeps its results: its records are new ones, the reference here.
      const expected = payloads.flatMap((payload) => reused.decodeDatagramFields(payload, context).messages);
      expect(seen.map((item) => item.keys)).toEqual(expected.map((message) => Object.keys(message.fields)));
      expect(seen.map((item) => item.fields)).toEqual(expected.map((message) => message.fields));
      expect(seen.map((item) => item.roles)).toEqual(expected.map((message) => structuredClone(message.roles)));
      // Roles are those of the full decoder.
      const all = during(full, payloads);
      expect(seen.map((item) => item.roles)).toEqual(all.seen.map((item) => item.roles));
    });
  }

  it("are one record per message type, rewritten by the next frame of that type (valid only during onMessage); decodeDatagramFields and fields: all give new ones", () => {
    const reused = compileProtocol(arena, { fields: "roles" });
    const { records } = during(reused, payloads);
    // snapshot, ping, input, input, snapshot, chat, pong, input
    expect(records[4]).toBe(records[0]);
    expect(records[3]).toBe(records[2]);
    expect(records[7]).toBe(records[2]);
    expect(records[1]).not.toBe(records[0]);
    expect(records[6]).not.toBe(records[1]);
    // A record kept past its call shows the latest frame of its type.
    expect(records[0]).toMatchObject({ messageType: 2, tick: 2, lastProcessedInputSequence: 4 });
    expect(records[2]).toMatchObject({ messageType: 1, inputSequence: 7 });
    const kept = reused.decodeDatagramFields(payloads[0]!, context).messages[0]!.fields;
    expect(kept).not.toBe(records[0]);
    expect(reused.decodeDatagramFields(payloads[2]!, context).messages[0]!.fields).not.toBe(kept);
    expect(kept).toMatchObject({ tick: 1 });
    const fresh = during(full, payloads).records;
    expect(new Set(fresh).size).toBe(fresh.length);
  });

  it("a message with a conditional field gets a new record per frame; a conditional frame header field turns reuse off (no value left from an earlier frame)", () => {
    const conditionalMessage = {
      name: "conditional_message",
      header: [{ name: "sequence", type: "u16", role: "sequence" }],
      body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8" }], select: { on: "type", cases: [{ value: 1, message: "event" }] } },
      messages: [
        {
          name: "event",
          fields: [
            { name: "flags", type: "u8" },
            { name: "tick", type: "u16", role: "tick", when: { field: "flags", equals: 1 } },
          ],
        },
      ],
    } as ProtocolDefinition;
    const conditionalFrame = {
      name: "conditional_frame",
      header: [{ name: "sequence", type: "u16", role: "sequence" }],
      body: {
        repeat: "untilEnd",
        frameHeader: [
          { name: "type", type: "u8" },
          { name: "tick", type: "u16", role: "tick", when: { field: "type", equals: 1 } },
        ],
        select: { on: "type", cases: [{ value: 1, message: "event" }, { value: 2, message: "event" }] },
      },
      messages: [{ name: "event", fields: [{ name: "flags", type: "u8" }] }],
    } as ProtocolDefinition;
    const cases: [ProtocolDefinition, Uint8Array[], unknown[]][] = [
      [conditionalMessage, [Uint8Array.of(0, 1, 1, 1, 0, 7), Uint8Array.of(0, 2, 1, 0)], [{ type: 1, flags: 1, tick: 7 }, { type: 1, flags: 0 }]],
      [conditionalFrame, [Uint8Array.of(0, 1, 1, 0, 7, 0), Uint8Array.of(0, 2, 2, 5)], [{ type: 1, tick: 7, flags: 0 }, { type: 2, flags: 5 }]],
    ];
    for (const [definition, frames, expected] of cases) {
      for (const fields of ["roles", "all"] as const) {
        const { seen, records } = during(compileProtocol(definition, { fields }), frames);
        expect(seen.map((item) => item.fields)).toEqual(expected);
        expect(seen.map((item) => item.keys)).toEqual(expected.map((item) => Object.keys(item as object)));
        expect((seen[1]!.roles as { tick?: number }).tick).toBeUndefined();
        expect(records[1]).not.toBe(records[0]);
      }
    }
  });
});
