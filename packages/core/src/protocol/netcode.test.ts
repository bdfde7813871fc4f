import { createCipheriv, randomBytes } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "../errors.js";
import type { Direction } from "../session.js";
import { decodeAll, loadExample, testContext } from "../test-support/protocols.js";
import { compileProtocol, parseKeyFile, ProtocolKeyStore, type ProtocolDefinition } from "./index.js";

const PROTOCOL_ID = 0x1122334455667788n;
const clientKey = Buffer.alloc(32, 0x11);
const serverKey = Buffer.alloc(32, 0x22);

/** Independent netcode packet writer, straight from STANDARD.md (not using the encoder). */
function netcodePacket(packetType: number, sequence: bigint, plain: Uint8Array, key: Uint8Array): Uint8Array {
  const sequenceBytes: number[] = [];
  let rest = sequence;
  do {
    sequenceBytes.push(Number(rest & 0xffn));
    rest >>= 8n;
  } while (rest > 0n);
  const prefix = (sequenceBytes.length << 4) | packetType;
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(sequence, 4);
  const aad = Buffer.alloc(13 + 8 + 1);
  aad.write("NETCODE 1.02\0", 0, "ascii");
  aad.writeBigUInt64LE(PROTOCOL_ID, 13);
  aad[21] = prefix;
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plain.length });
  return new Uint8Array(Buffer.concat([Buffer.from([prefix, ...sequenceBytes]), cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
}

function keepAlive(clientIndex: number, maxClients: number): Uint8Array {
  const plain = Buffer.alloc(8);
  plain.writeUInt32LE(clientIndex, 0);
  plain.writeUInt32LE(maxClients, 4);
  return plain;
}

const keyFile = `# netcode keys, one line per session and direction
s1 clientToServer ${clientKey.toString("hex")}
s1 serverToClient ${serverKey.toString("hex")}
`;

describe("netcode.json (encrypted, ChaCha20-Poly1305)", () => {
  for (const mode of ["compiled", "interpreted"] as const) {
    it(`${mode}: decrypts packets encrypted per the spec, with per-direction keys from a key file`, () => {
      const protocol = compileProtocol(loadExample("netcode"), { mode, keys: parseKeyFile(keyFile) });
      const up = decodeAll(protocol, netcodePacket(4, 1000n, keepAlive(3, 64), clientKey), testContext({ sessionId: "s1" }));
      expect(up.anomalies).toEqual([]);
      expect(up.messages).toHaveLength(1);
      expect(up.messages[0]).toMatchObject({ type: "keepAlive", fields: { clientIndex: 3, maxClients: 64 } });
      expect(up.messages[0].fields).toEqual({ clientIndex: 3, maxClients: 64 });
      expect(up.messages[0].roles).toMatchObject({ sequence: 1000, authenticated: true });
      const payload = new Uint8Array(300).map((_, index) => index & 0xff);
      const down = decodeAll(protocol, netcodePacket(5, 2n ** 40n + 7n, payload, serverKey), testContext({ sessionId: "s1", direction: "serverToClient" }));
      expect(down.anomalies).toEqual([]);
      expect(down.messages[0].type).toBe("payload");
      expect(Buffer.from(down.messages[0].fields.data as Uint8Array).equals(Buffer.from(payload))).toBe(true);
      expect(down.messages[0].roles.sequence).toBe(2 ** 40 + 7);
      expect(down.messages[0].byteLength).toBe(300);
    });
  }

  it("a flipped bit or a wrong key is a counted E_DECRYPT_FAILED with the packet index, never a crash", () => {
    const protocol = compileProtocol(loadExample("netcode"), { keys: parseKeyFile(keyFile) });
    const packet = netcodePacket(4, 5n, keepAlive(1, 2), clientKey);
    for (let bit = 0; bit < packet.length * 8; bit += 13) {
      const tampered = packet.slice();
      tampered[bit >>> 3] ^= 1 << (bit & 7);
      const result = decodeAll(protocol, tampered, testContext({ sessionId: "s1", packetIndex: 42 }));
      expect(result.messages.filter((message) => message.roles.authenticated)).toEqual([]);
      expect(result.anomalies.length).toBeGreaterThan(0);
      if (bit >= 16) expect(result.anomalies[0]).toMatchObject({ code: "E_DECRYPT_FAILED", packetIndex: 42 });
    }
    // The server's key on a client packet: wrong key.
    const wrongKey = decodeAll(protocol, netcodePacket(4, 5n, keepAlive(1, 2), serverKey), testContext({ sessionId: "s1" }));
    expect(wrongKey.messages).toEqual([]);
    expect(wrongKey.anomalies.map((anomaly) => anomaly.code)).toEqual(["E_DECRYPT_FAILED"]);
    // Still usable afterwards.
    expect(decodeAll(protocol, packet, testContext({ sessionId: "s1" })).messages).toHaveLength(1);
    // No key for an unknown session.
    expect(decodeAll(protocol, packet, testContext({ sessionId: "other" })).anomalies[0].code).toBe("E_KEY_MISSING");
  });

  it("connection requests are not encrypted; keys can be given per session by code and inline", () => {
    const protocol = compileProtocol(loadExample("netcode"));
    const request = new Uint8Array(1 + 13 + 8 + 8 + 24 + 1024);
    Buffer.from("NETCODE 1.02\0", "ascii").copy(request, 1);
    new DataView(request.buffer).setBigUint64(14, PROTOCOL_ID, true);
    const decoded = decodeAll(protocol, request);
    expect(decoded.anomalies).toEqual([]);
    expect(decoded.messages[0].fields).toMatchObject({ versionInfo: "NETCODE 1.02\u0000", protocolId: PROTOCOL_ID });
    expect(decoded.messages[0].roles.authenticated).toBeUndefined();

    protocol.setSessionKey("s9", "clientToServer", clientKey);
    expect(decodeAll(protocol, netcodePacket(6, 9n, new Uint8Array(0), clientKey), testContext({ sessionId: "s9" })).messages[0].type).toBe("disconnect");
    const provided = compileProtocol(loadExample("netcode"), { keys: (request) => (request.direction === "clientToServer" ? clientKey : undefined) });
    expect(decodeAll(provided, netcodePacket(1, 1n, new Uint8Array(0), clientKey)).messages[0].type).toBe("connectionDenied");

    const inline = loadExample("netcode");
    const transform = inline.transforms![0] as Extract<NonNullable<ProtocolDefinition["transforms"]>[number], { kind: "aead" }>;
    transform.keys = { clientToServer: clientKey.toString("hex"), serverToClient: serverKey.toString("hex") };
    const withInline = compileProtocol(inline);
    expect(decodeAll(withInline, netcodePacket(4, 77n, keepAlive(0, 1), serverKey), testContext({ direction: "serverToClient" })).messages[0].roles.authenticated).toBe(true);
  });

  it("the encoder produces byte-identical packets to the spec implementation", () => {
    const protocol = compileProtocol(loadExample("netcode"), { keys: parseKeyFile(keyFile) });
    const expected = netcodePacket(4, 1000n, keepAlive(3, 64), clientKey);
    const encoded = protocol.encodeDatagram([{ type: "keepAlive", fields: { clientIndex: 3, maxClients: 64 } }], {
      header: { sequenceBytes: 2, sequence: 1000 },
      sessionId: "s1",
      direction: "clientToServer",
    });
    expect(Buffer.from(encoded).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
    expect(() => protocol.encodeDatagram([{ type: "keepAlive", fields: { clientIndex: 3, maxClients: 64 } }], { header: { sequenceBytes: 2, sequence: 1000 }, sessionId: "nobody" })).toThrow(
      /no chacha20-poly1305 key/,
    );
  });

  for (const algorithm of ["aes-128-gcm", "aes-256-gcm", "xchacha20-poly1305"] as const) {
    it(`${algorithm}: round-trips and detects tampering`, () => {
      const definition = loadExample("netcode");
      const transform = definition.transforms![0] as Extract<NonNullable<ProtocolDefinition["transforms"]>[number], { kind: "aead" }>;
      transform.algorithm = algorithm;
      if (algorithm === "xchacha20-poly1305") transform.nonce = [{ zeros: 16 }, { field: "sequence", bytes: 8, byteOrder: "little" }];
      const key = randomBytes(algorithm === "aes-128-gcm" ? 16 : 32);
      const store = new ProtocolKeyStore([{ sessionId: "*", direction: "both", key }]);
      const protocol = compileProtocol(definition, { keys: store });
      const packet = protocol.encodeDatagram([{ type: "payload", fields: { data: new Uint8Array([1, 2, 3]) } }], { header: { sequenceBytes: 1, sequence: 9 } });
      expect(packet.length).toBe(2 + 3 + 16);
      const decoded = decodeAll(protocol, packet);
      expect(decoded.messages[0].roles.authenticated).toBe(true);
      expect([...(decoded.messages[0].fields.data as Uint8Array)]).toEqual([1, 2, 3]);
      if (algorithm === "xchacha20-poly1305") {
        const nonce = new Uint8Array(24);
        nonce[16] = 9;
        const aad = new Uint8Array(22);
        aad.set(Buffer.from("NETCODE 1.02\0", "ascii"));
        new DataView(aad.buffer).setBigUint64(13, PROTOCOL_ID, true);
        aad[21] = packet[0];
        expect([...xchacha20poly1305(key, nonce, aad).decrypt(packet.subarray(2))]).toEqual([1, 2, 3]);
      }
      const tampered = packet.slice();
      tampered[3] ^= 0x80;
      expect(decodeAll(protocol, tampered).anomalies[0].code).toBe("E_DECRYPT_FAILED");
      expect(decodeAll(protocol, packet.subarray(0, 10)).anomalies[0].code).toBe("E_DECRYPT_FAILED");
    });
  }

  it("key files: comments, wildcards, bad lines", () => {
    const store = parseKeyFile(`# comment\n\n* both ${"ab".repeat(32)}\nsx clientToServer ${"cd".repeat(32)} # trailing\n`);
    const direction: Direction = "serverToClient";
    expect(store.size).toBe(3);
    expect(store.lookup("sx", "clientToServer")![0]).toBe(0xcd);
    expect(store.lookup("sx", direction)![0]).toBe(0xab);
    let error: unknown;
    try {
      parseKeyFile("s1 sideways 00");
    } catch (caught) {
      error = caught;
    }
    expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    expect((error as Error).message).toMatch(/line 1/);
  });
});
