import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldRecord } from "../game-message.js";
import { decodeAll, loadExample, testContext } from "../test-support/protocols.js";
import { compileProtocol, type MessageToEncode } from "./index.js";

const header = { sequence: 513, ack: 512, ackBits: 0x80000001, sendTimeUs: 2 ** 40 + 5 };

const sample: MessageToEncode[] = [
  { type: "input", fields: { inputSequence: 70, reportedRttMs: 48, inputs: [{ moveX: 1, moveY: -1, aimYaw: 0, aimPitch: 0, buttons: 3 }, { moveX: 0, moveY: 0, aimYaw: 1, aimPitch: 0.5, buttons: 0 }] } },
  {
    type: "snapshot",
    fields: {
      tick: 1200,
      lastProcessedInputSequence: 69,
      entities: [
        { entityId: 1, x: 10, y: -20, z: 2, yaw: 1.5, velocityX: 3, velocityY: 0, velocityZ: -1, health: 100 },
        { entityId: 9, x: -2048, y: 2048, z: 0, yaw: 0, velocityX: -64, velocityY: 64, velocityZ: 0, health: 0 },
      ],
    },
  },
  { type: "spawn", fields: { eventId: 4, resendCount: 1, tick: 1199, entityId: 9, playerId: 2, x: 1, y: 2, z: 3 } },
  { type: "death", fields: { eventId: 5, resendCount: 0, tick: 1201, victimPlayerId: 2, killerPlayerId: 1, weapon: 3 } },
  { type: "chat", fields: { eventId: 6, resendCount: 0, playerId: 1, text: "gg ünïcode" } },
  { type: "ping", fields: { pingId: 77 } },
  { type: "pong", fields: { pingId: 76, processingUs: 350 } },
  { type: "shot", fields: { shotId: 3, weapon: 1, targetTimeUs: 2 ** 40 - 100_000, x: 5, y: 6, z: 7, aimYaw: 2, aimPitch: -0.5 } },
  { type: "stateReset", fields: { eventId: 7, resendCount: 0, tick: 1300, reason: 2 } },
];

describe("arena.json", () => {
  for (const mode of ["compiled", "interpreted"] as const) {
    it(`${mode}: encodes every message type into one datagram and decodes it back with roles`, () => {
      const protocol = compileProtocol(loadExample("arena"), { mode });
      expect(protocol.mode).toBe(mode);
      const bytes = protocol.encodeDatagram(sample, { header });
      expect(bytes[0]).toBe(0x41); // 'A' of the protocol id
      const { messages, anomalies } = decodeAll(protocol, bytes, testContext({ direction: "serverToClient" }));
      expect(anomalies).toEqual([]);
      expect(messages.map((message) => message.type)).toEqual(sample.map((message) => message.type));
      expect(messages.map((message) => message.indexInPacket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(messages.reduce((sum, message) => sum + message.byteLength, 0)).toBe(bytes.length - 18);
      for (const message of messages) {
        expect(message.roles).toMatchObject({ sequence: 513, sequenceBits: 16, ack: 512, ackBits: 0x80000001, ackBitsWidth: 32, sendTimeUs: 2 ** 40 + 5 });
        expect(message).toMatchObject({ sessionId: "session", direction: "serverToClient", tUs: 1_000_000, packetIndex: 7, packetWireLength: 100 });
      }
      const [input, snapshot, spawn, death, chat, ping, pong, shot, reset] = messages;
      expect(input.roles).toMatchObject({ inputSequence: 70, inputCount: 2, reportedRttMs: 48, reliable: false });
      expect(input.fields.inputs).toHaveLength(2);
      expect(snapshot.roles.tick).toBe(1200);
      expect(snapshot.roles.entities).toHaveLength(2);
      expect(snapshot.roles.entities![0].entityId).toBe(1);
      expect(snapshot.roles.entities![0].position!.x).toBeCloseTo(10, 2);
      expect(snapshot.roles.entities![1].position).toEqual({ x: -2048, y: 2048, z: expect.closeTo(0, 2) });
      expect(snapshot.roles.entities![0].velocity!.z).toBeCloseTo(-1, 1);
      expect(snapshot.roles.entities![0].rotation).toBeCloseTo(1.5, 2);
      expect(spawn.roles).toMatchObject({ reliable: true, resendCount: 1, entityId: 9, playerId: 2, tick: 1199 });
      expect(spawn.roles.position!.z).toBeCloseTo(3, 2);
      expect(death.roles).toMatchObject({ playerId: 2, reliable: true });
      expect(chat.fields.text).toBe("gg ünïcode");
      expect(ping.roles).toMatchObject({ echoKey: "77", echoPhase: "request" });
      expect(pong.roles).toMatchObject({ echoKey: "76", echoPhase: "reply" });
      expect(shot.roles.targetTimeUs).toBe(2 ** 40 - 100_000);
      expect(shot.roles.rotation).toBeCloseTo(2, 3);
      expect(reset.roles).toMatchObject({ tick: 1300, reliable: true });
    });
  }

  it("re-encoding decoded fields gives the same bytes (lossless for the same definition)", () => {
    const protocol = compileProtocol(loadExample("arena"));
    const bytes = protocol.encodeDatagram(sample, { header });
    const decoded = protocol.decodeDatagramFields(bytes);
    const again = protocol.encodeDatagram(decoded.messages.map((message) => ({ type: message.type, fields: message.fields })), { header: decoded.header });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    // encodeMessage gives exactly the message's bytes inside the datagram
    const single = protocol.encodeMessage("snapshot", decoded.messages[1].fields);
    expect(single.length).toBe(decoded.messages[1].byteLength);
  });

  it("a message callback may re-encode with the same protocol while the datagram is being decoded", () => {
    const protocol = compileProtocol(loadExample("arena"));
    const bytes = protocol.encodeDatagram(sample, { header });
    const sizes: number[] = [];
    const types: string[] = [];
    protocol.decodeDatagram(
      bytes,
      testContext(),
      (message) => {
        types.push(message.type);
        sizes.push(protocol.encodeDatagram([{ type: message.type, fields: message.fields }], { header: { sequence: 0, ack: 0, ackBits: 0, sendTimeUs: 0 } }).length - 18);
        expect(protocol.encodeMessage(message.type, message.fields).length).toBe(message.byteLength);
      },
      (anomaly) => {
        throw new Error(anomaly.detail);
      },
    );
    expect(types).toEqual(sample.map((message) => message.type));
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(bytes.length - 18);
  });

  it("reports constraint violations with the field path, and still decodes the message", () => {
    const protocol = compileProtocol(loadExample("arena"));
    const bytes = protocol.encodeDatagram(
      [
        { type: "snapshot", fields: { tick: 1, lastProcessedInputSequence: 0, entities: [{ entityId: 1, x: 0, y: 0, z: 0, yaw: 0, velocityX: 0, velocityY: 0, velocityZ: 0, health: 250 }] } },
        { type: "shot", fields: { shotId: 1, weapon: 9, targetTimeUs: 0, x: 0, y: 0, z: 0, aimYaw: 0, aimPitch: 0 } },
      ],
      { header },
    );
    const { messages, anomalies } = decodeAll(protocol, bytes);
    expect(messages).toHaveLength(2);
    expect(anomalies.map((anomaly) => [anomaly.code, anomaly.fieldPath, anomaly.messageType, anomaly.packetIndex])).toEqual([
      ["E_VALUE_OUT_OF_RANGE", "snapshot.entities[].health", "snapshot", 7],
      ["E_VALUE_OUT_OF_RANGE", "shot.weapon", "shot", 7],
    ]);
  });

  it("rejects a wrong protocol id as a violation and reports truncated and oversized input", () => {
    const protocol = compileProtocol(loadExample("arena"));
    const bytes = protocol.encodeDatagram([{ type: "ping", fields: { pingId: 1 } }], { header });
    const wrong = bytes.slice();
    wrong[0] = 0;
    expect(decodeAll(protocol, wrong).anomalies[0]).toMatchObject({ code: "E_VALUE_OUT_OF_RANGE", fieldPath: "header.protocolId" });
    const truncated = decodeAll(protocol, bytes.subarray(0, bytes.length - 2));
    expect(truncated.messages).toEqual([]);
    expect(truncated.anomalies[0].code).toBe("E_TRUNCATED");
    const tooMany = protocol.encodeDatagram([{ type: "input", fields: { inputSequence: 1, reportedRttMs: 1, inputs: Array.from({ length: 17 }, () => ({ moveX: 0, moveY: 0, aimYaw: 0, aimPitch: 0, buttons: 0 })) } }], { header });
    expect(decodeAll(protocol, tooMany).anomalies[0]).toMatchObject({ code: "E_LENGTH_EXCEEDED", fieldPath: "input.inputs" });
    const unknownType = bytes.slice();
    unknownType[18] = 200;
    expect(decodeAll(protocol, unknownType).anomalies[0].code).toBe("E_DECODE_FAILED");
  });

  it("encoder errors name the field", () => {
    const protocol = compileProtocol(loadExample("arena"));
    expect(() => protocol.encodeDatagram([{ type: "ping", fields: { pingId: 2 ** 33 } }], { header })).toThrow(/ping.pingId/);
    expect(() => protocol.encodeDatagram([{ type: "ping", fields: {} }], { header })).toThrow(/ping.pingId: missing value/);
    expect(() => protocol.encodeDatagram([{ type: "nope", fields: {} }], { header })).toThrow(/unknown message type/);
    expect(() => protocol.encodeDatagram([{ type: "chat", fields: { eventId: 1, resendCount: 0, playerId: 1, text: 5 as unknown as string } }], { header })).toThrow(/expected a string/);
  });

  it("round-trips arbitrary snapshots and inputs (property), compiled and interpreted agree", () => {
    const compiled = compileProtocol(loadExample("arena"));
    const interpreted = compileProtocol(loadExample("arena"), { mode: "interpreted" });
    const quantizedIn = (min: number, max: number) => fc.double({ min, max, noNaN: true });
    const entity = fc.record({
      entityId: fc.integer({ min: 0, max: 65535 }),
      x: quantizedIn(-2048, 2048),
      y: quantizedIn(-2048, 2048),
      z: quantizedIn(-2048, 2048),
      yaw: quantizedIn(0, 6.28),
      velocityX: quantizedIn(-64, 64),
      velocityY: quantizedIn(-64, 64),
      velocityZ: quantizedIn(-64, 64),
      health: fc.integer({ min: 0, max: 100 }),
    });
    const snapshot = fc.record({ tick: fc.nat(), lastProcessedInputSequence: fc.nat(), entities: fc.array(entity, { maxLength: 20 }) });
    const head = fc.record({ sequence: fc.integer({ min: 0, max: 65535 }), ack: fc.integer({ min: 0, max: 65535 }), ackBits: fc.nat(), sendTimeUs: fc.integer({ min: 0, max: 2 ** 48 - 1 }) });
    fc.assert(
      fc.property(head, fc.array(snapshot, { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 50 }), (headerValues, snapshots, text) => {
        const messages: MessageToEncode[] = snapshots.map((fields) => ({ type: "snapshot", fields: fields as unknown as FieldRecord }));
        messages.push({ type: "chat", fields: { eventId: 1, resendCount: 0, playerId: 3, text } });
        const bytes = compiled.encodeDatagram(messages, { header: headerValues });
        expect(Buffer.from(interpreted.encodeDatagram(messages, { header: headerValues })).equals(Buffer.from(bytes))).toBe(true);
        const first = compiled.decodeDatagramFields(bytes);
        const second = interpreted.decodeDatagramFields(bytes);
        expect(second).toEqual(first);
        expect(first.anomalies).toEqual([]);
        expect(first.header).toMatchObject(headerValues);
        const decodedSnapshots = first.messages.filter((message) => message.type === "snapshot");
        decodedSnapshots.forEach((message, index) => {
          const entities = message.fields.entities as FieldRecord[];
          expect(entities).toHaveLength(snapshots[index].entities.length);
          entities.forEach((decodedEntity, entityIndex) => {
            const original = snapshots[index].entities[entityIndex];
            expect(Math.abs((decodedEntity.x as number) - original.x)).toBeLessThanOrEqual(4096 / (2 ** 20 - 1));
            expect(decodedEntity.health).toBe(original.health);
          });
        });
        expect(first.messages.at(-1)!.fields.text).toBe(text);
        // decode -> encode -> same bytes
        const again = compiled.encodeDatagram(first.messages.map((message) => ({ type: message.type, fields: message.fields })), { header: first.header });
        expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
