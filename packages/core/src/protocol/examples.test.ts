import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldRecord } from "../game-message.js";
import type { DecodeAnomaly } from "../analyzer.js";
import type { GameMessage } from "../game-message.js";
import { decodeAll, loadExample, seededRandom, testContext } from "../test-support/protocols.js";
import { generateFirefallDatagrams } from "../test-support/firefall-datagrams.js";
import { compileProtocol, type CompiledProtocol } from "./index.js";

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("firefall.json (synthetic datagrams; the real capture is tested in @tickscope/capture)", () => {
  const firefall = compileProtocol(loadExample("firefall"));

  it("splits a datagram into packets, reads channel/resend/sequence and de-obfuscates resends", () => {
    // socket 0x01020304; control time-sync request; channel 1 packet seq 0x0010; the same packet resent (count 1, XOR ff) and (count 3, XOR cc)
    const payload = "2a0000000000000000";
    const other = "2b0102030405060708";
    const xor = (data: string, key: number) => Buffer.from(hex(data).map((byte) => byte ^ key)).toString("hex");
    const datagram = hex(
      "01020304" +
        "000b 04 1122334455667788" +
        "400d 0010 " + payload +
        "500d 0010 " + xor(payload, 0xff) +
        "700d 0011 " + xor(other, 0xcc),
    );
    const { messages, anomalies } = decodeAll(firefall, datagram);
    expect(anomalies).toEqual([]);
    expect(messages.map((message) => [message.type, message.roles.channel, message.roles.resendCount, message.roles.sequence, message.byteLength])).toEqual([
      ["timeSyncRequest", 0, 0, undefined, 11],
      ["matrix", 1, 0, 16, 13],
      ["matrix", 1, 1, 16, 13],
      ["matrix", 1, 3, 17, 13],
    ]);
    // Views of earlier messages stay valid after later frames are de-obfuscated.
    expect(messages.slice(1).map((message) => Buffer.from(message.fields.data as Uint8Array).toString("hex"))).toEqual([payload, payload, other]);
    expect(messages[0].roles).toMatchObject({ echoKey: String(0x8877665544332211n), echoPhase: "request", sessionId: String(0x01020304) });
    expect(messages[1].roles.reliable).toBe(true);
  });

  it("matches a time-sync response to its request through the echo role, and reads acks", () => {
    const response = decodeAll(firefall, hex("01020304 0013 05 1122334455667788 0100000000000000 0007 02 8627 8626"), testContext({ direction: "serverToClient" }));
    expect(response.anomalies).toEqual([]);
    expect(response.messages[0].roles).toMatchObject({ echoKey: String(0x8877665544332211n), echoPhase: "reply", sendTimeUs: 1 });
    expect(response.messages[1]).toMatchObject({ type: "matrixAck", roles: { ack: 0x8626, channel: 0 } });
  });

  it("decodes the handshake and re-encodes every message losslessly (compiled = interpreted)", () => {
    const interpreted = compileProtocol(loadExample("firefall"), { mode: "interpreted" });
    const handshake = hex("00000000 504f4b45 00045ba3");
    const decoded = firefall.decodeDatagramFields(handshake);
    expect(decoded.messages[0]).toMatchObject({ type: "handshake", fields: { tag: "POKE" } });
    expect(interpreted.decodeDatagramFields(handshake)).toEqual(decoded);
    expect(firefall.encodeDatagram([{ type: "handshake", fields: decoded.messages[0].fields }], { header: decoded.header })).toEqual(handshake);
    const datagram = hex("01020304 000b 04 1122334455667788 7010 8629 e4cccccccccccccccccccccc 0009 03 0001 0002 aabb");
    const full = firefall.decodeDatagramFields(datagram);
    expect(full.anomalies).toEqual([]);
    expect(interpreted.decodeDatagramFields(datagram)).toEqual(full);
    const again = firefall.encodeDatagram(full.messages.map((message) => ({ type: message.type, fields: message.fields })), { header: full.header });
    expect(Buffer.from(again).toString("hex")).toBe(Buffer.from(datagram).toString("hex"));
    // encodeMessage fills the channel/control type from the message type
    const request = firefall.encodeMessage("timeSyncRequest", { resendCount: 0, split: false, clientTimeUs: 5n });
    expect(Buffer.from(request).toString("hex")).toBe("000b040500000000000000");
  });

  it("reports a packet length running past the datagram and an unknown control type", () => {
    expect(decodeAll(firefall, hex("01020304 00ff 04")).anomalies[0].code).toBe("E_TRUNCATED");
    expect(decodeAll(firefall, hex("01020304 0001")).anomalies[0].code).toBe("E_DECODE_FAILED");
    expect(decodeAll(firefall, hex("01020304 0003 09")).anomalies[0]).toMatchObject({ code: "E_DECODE_FAILED", fieldPath: "controlType" });
  });
});

describe("rtp.json (synthetic packets; tshark stream counts are checked in @tickscope/capture)", () => {
  it("reads the fixed header, CSRCs and the extension, with sendTime in µs from the 8000 Hz clock", () => {
    for (const mode of ["compiled", "interpreted"] as const) {
      const rtp = compileProtocol(loadExample("rtp"), { mode });
      const packet = hex("92 08 1234 00001f40 deadbeef 00000001 00000002 bede 0001 01020304 d5d5d5");
      const { messages, anomalies } = decodeAll(rtp, packet);
      expect(anomalies).toEqual([]);
      expect(messages[0].fields).toMatchObject({ version: 2, padding: false, extension: true, csrcCount: 2, marker: false, payloadType: 8, sequence: 0x1234, timestamp: 8000, ssrc: 0xdeadbeef, csrc: [1, 2] });
      expect(messages[0].fields.headerExtension).toMatchObject({ profile: 0xbede, wordCount: 1, words: [0x01020304] });
      expect(messages[0].roles).toMatchObject({ sequence: 0x1234, sequenceBits: 16, sendTimeUs: 1_000_000, sessionId: String(0xdeadbeef) });
      expect(rtp.encodeDatagram([{ type: "rtp", fields: messages[0].fields }])).toEqual(packet);
      expect(decodeAll(rtp, hex("40 08 1234 00001f40 deadbeef")).anomalies[0]).toMatchObject({ code: "E_VALUE_OUT_OF_RANGE", fieldPath: "frame.version" });
    }
  });
});

function validDatagram(name: string, protocol: CompiledProtocol): Uint8Array {
  if (name === "arena") {
    return protocol.encodeDatagram(
      [
        { type: "ping", fields: { pingId: 1 } },
        { type: "snapshot", fields: { tick: 1, lastProcessedInputSequence: 1, entities: [{ entityId: 1, x: 0, y: 0, z: 0, yaw: 0, velocityX: 0, velocityY: 0, velocityZ: 0, health: 5 }] } },
        { type: "chat", fields: { eventId: 1, resendCount: 0, playerId: 1, text: "hi" } },
      ],
      { header: { sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 0 } },
    );
  }
  if (name === "firefall") return hex("01020304 000b 04 1122334455667788 7010 8629 e4cccccccccccccccccccccc 0007 02 0001 0002");
  if (name === "rtp") return hex("80 08 0001 00000000 00000001 d5d5");
  return protocol.encodeDatagram([{ type: "keepAlive", fields: { clientIndex: 1, maxClients: 2 } }], { header: { sequenceBytes: 1, sequence: 1 } });
}

describe("fuzzing every example decoder with random bytes", () => {
  const examples = ["arena", "firefall", "rtp", "netcode"];
  for (const name of examples) {
    for (const mode of ["compiled", "interpreted"] as const) {
      it(`${name} (${mode}): only typed anomalies escape, and the decoder stays usable`, () => {
        const key = new Uint8Array(32).fill(7);
        const protocol: CompiledProtocol = compileProtocol(loadExample(name), { mode, keys: () => key });
        const valid = validDatagram(name, protocol);
        const random = seededRandom(name.length * 31 + (mode === "compiled" ? 1 : 2));
        const known = new Set(["E_TRUNCATED", "E_DECODE_FAILED", "E_VALUE_OUT_OF_RANGE", "E_LENGTH_EXCEEDED", "E_DECRYPT_FAILED", "E_KEY_MISSING"]);
        let messages = 0;
        let anomalyCount = 0;
        for (let run = 0; run < 3000; run++) {
          let bytes: Uint8Array;
          if (run % 2 === 0) {
            // mutate a valid datagram: flip, cut or extend
            bytes = valid.slice(0, Math.max(0, valid.length - (run % 7 === 0 ? Math.floor(random() * valid.length) : 0)));
            for (let flips = Math.floor(random() * 4); flips > 0 && bytes.length > 0; flips--) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
          } else {
            const length = Math.floor(random() * (run % 10 === 1 ? 1500 : 64));
            bytes = new Uint8Array(length);
            for (let index = 0; index < length; index++) bytes[index] = Math.floor(random() * 256);
          }
          const found: GameMessage[] = [];
          const anomalies: DecodeAnomaly[] = [];
          expect(() => protocol.decodeDatagram(bytes, testContext({ packetIndex: run }), (message) => found.push(message), (anomaly) => anomalies.push(anomaly))).not.toThrow();
          for (const anomaly of anomalies) {
            expect(known.has(anomaly.code)).toBe(true);
            expect(anomaly.packetIndex).toBe(run);
          }
          for (const message of found) expect(message.byteLength).toBeLessThanOrEqual(bytes.length);
          messages += found.length;
          anomalyCount += anomalies.length;
        }
        expect(messages).toBeGreaterThan(100);
        expect(anomalyCount).toBeGreaterThan(100);
        // still decodes valid input
        const result = decodeAll(protocol, valid);
        expect(result.anomalies).toEqual([]);
        expect(result.messages.length).toBeGreaterThan(0);
      });
    }
  }
});

describe("compiled decoder/encoder = interpreter on every example", () => {
  it("decodes the same fields, roles and anomalies on valid, mutated and generated datagrams", () => {
    const key = new Uint8Array(32).fill(7);
    for (const name of ["arena", "firefall", "rtp", "netcode"]) {
      const compiled = compileProtocol(loadExample(name), { keys: () => key });
      const interpreted = compileProtocol(loadExample(name), { mode: "interpreted", keys: () => key });
      const valid = validDatagram(name, compiled);
      const corpus: Uint8Array[] = [valid];
      const random = seededRandom(99 + name.length);
      for (let run = 0; run < 400; run++) {
        const bytes = valid.slice();
        bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
        corpus.push(run % 5 === 0 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes);
      }
      const canonical = new Set<Uint8Array>([valid]);
      if (name === "firefall") {
        for (const datagram of generateFirefallDatagrams(2000).datagrams) {
          corpus.push(datagram);
          canonical.add(datagram);
        }
      }
      let messages = 0;
      let reencoded = 0;
      for (const bytes of corpus) {
        const first = compiled.decodeDatagramFields(bytes, { packetIndex: 1 });
        expect(interpreted.decodeDatagramFields(bytes, { packetIndex: 1 })).toEqual(first);
        messages += first.messages.length;
        // Mutations may hit padding bits or non-canonical bools: only canonical datagrams must re-encode identically.
        if (canonical.has(bytes)) {
          expect(first.anomalies).toEqual([]);
          reencoded += 1;
          // encode(decode(x)) = x, with both encoders
          const again = first.messages.map((message) => ({ type: message.type, fields: message.fields }));
          expect(Buffer.from(compiled.encodeDatagram(again, { header: first.header })).equals(Buffer.from(bytes))).toBe(true);
          expect(Buffer.from(interpreted.encodeDatagram(again, { header: first.header })).equals(Buffer.from(bytes))).toBe(true);
        }
      }
      // (tampered netcode packets fail authentication, so only the valid one decodes)
      expect(messages).toBeGreaterThan(name === "netcode" ? 0 : 100);
      expect(reencoded).toBe(canonical.size);
    }
  });
});

describe("encode∘decode round trips (property) on firefall and rtp", () => {
  it("firefall: any packets on any channel re-encode to the same bytes and decode to the same fields", () => {
    const compiled = compileProtocol(loadExample("firefall"));
    const interpreted = compileProtocol(loadExample("firefall"), { mode: "interpreted" });
    const packet = fc.oneof(
      fc.record({ type: fc.constantFrom("matrix", "reliableGss", "unreliableGss"), resendCount: fc.integer({ min: 0, max: 3 }), split: fc.boolean(), sequence: fc.integer({ min: 0, max: 65535 }), data: fc.uint8Array({ maxLength: 200 }) }),
      fc.record({ type: fc.constant("timeSyncRequest"), resendCount: fc.constant(0), split: fc.constant(false), clientTimeUs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      fc.record({ type: fc.constantFrom("matrixAck", "gssAck"), resendCount: fc.constant(0), split: fc.constant(false), nextSequence: fc.integer({ min: 0, max: 65535 }), ackSequence: fc.integer({ min: 0, max: 65535 }), extra: fc.uint8Array({ maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.array(packet, { minLength: 1, maxLength: 6 }), (socketId, packets) => {
        const messages = packets.map(({ type, ...fields }) => ({ type, fields: fields as FieldRecord }));
        const bytes = compiled.encodeDatagram(messages, { header: { socketId } });
        expect(Buffer.from(interpreted.encodeDatagram(messages, { header: { socketId } })).equals(Buffer.from(bytes))).toBe(true);
        const decoded = compiled.decodeDatagramFields(bytes);
        expect(decoded.anomalies).toEqual([]);
        expect(interpreted.decodeDatagramFields(bytes)).toEqual(decoded);
        expect(decoded.messages.map((message) => message.type)).toEqual(packets.map((item) => item.type));
        decoded.messages.forEach((message, index) => expect(message.fields).toMatchObject(messages[index].fields));
        const again = compiled.encodeDatagram(decoded.messages.map((message) => ({ type: message.type, fields: message.fields })), { header: decoded.header });
        expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("rtp: any header, CSRC list, extension and payload", () => {
    const rtp = compileProtocol(loadExample("rtp"));
    fc.assert(
      fc.property(
        fc.record({ marker: fc.boolean(), payloadType: fc.integer({ min: 0, max: 127 }), sequence: fc.integer({ min: 0, max: 65535 }), timestamp: fc.nat(), ssrc: fc.nat() }),
        fc.array(fc.nat(), { maxLength: 15 }),
        fc.option(fc.array(fc.nat(), { maxLength: 4 }), { nil: undefined }),
        fc.uint8Array({ maxLength: 300 }),
        (head, csrc, words, payload) => {
          const fields: FieldRecord = { version: 2, padding: false, extension: words !== undefined, csrcCount: csrc.length, ...head, csrc, payload };
          if (words !== undefined) fields.headerExtension = { profile: 0xbede, wordCount: words.length, words };
          // The payload type chooses the message and so the timestamp's clock (none for comfort noise, events and dynamic types).
          const { type, clockHz } = rtpMessageOf(head.payloadType);
          const bytes = rtp.encodeMessage(type, fields);
          const decoded = rtp.decodeDatagramFields(bytes);
          expect(decoded.anomalies).toEqual([]);
          expect(decoded.messages[0].type).toBe(type);
          expect(decoded.messages[0].fields).toEqual(fields);
          if (clockHz === undefined) expect(decoded.messages[0].roles.sendTimeUs).toBeUndefined();
          else expect(decoded.messages[0].roles.sendTimeUs).toBeCloseTo((head.timestamp * 1_000_000) / clockHz, 6);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** rtp.json's message and timestamp clock for an RTP payload type (Wireshark's clock table, RFC 3551). */
function rtpMessageOf(payloadType: number): { type: string; clockHz: number | undefined } {
  if ([0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 18].includes(payloadType)) return { type: "rtp", clockHz: 8000 };
  if (payloadType === 6) return { type: "rtp16kHz", clockHz: 16000 };
  if (payloadType === 16) return { type: "rtp11025Hz", clockHz: 11025 };
  if (payloadType === 17) return { type: "rtp22050Hz", clockHz: 22050 };
  if (payloadType === 10 || payloadType === 11) return { type: "rtp44100Hz", clockHz: 44100 };
  if ([14, 25, 26, 28, 31, 32, 33, 34].includes(payloadType)) return { type: "rtp90kHz", clockHz: 90000 };
  if (payloadType === 13 || payloadType === 19) return { type: "comfortNoise", clockHz: undefined };
  if (payloadType === 101) return { type: "telephoneEvent", clockHz: undefined };
  return { type: "rtpUnknownClock", clockHz: undefined };
}
