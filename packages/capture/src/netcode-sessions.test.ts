import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileProtocol, parseKeyFile, type ProtocolDefinition } from "@tickscope/core/protocol";
import { describe, expect, it } from "vitest";
import { runCapturePipeline } from "./capture-pipeline.js";
import { writePcap, type FrameRecord } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const netcode = JSON.parse(readFileSync(`${examples}netcode.json`, "utf8")) as ProtocolDefinition;
const PROTOCOL_ID = 0x1122334455667788n;
const T0 = 1_700_000_000_000_000;

/** Independent netcode packet writer (mas-bandwidth/netcode STANDARD.md), not the encoder under test. */
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
  const aad = Buffer.alloc(22);
  aad.write("NETCODE 1.02\0", 0, "ascii");
  aad.writeBigUInt64LE(PROTOCOL_ID, 13);
  aad[21] = prefix;
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plain.length });
  return new Uint8Array(Buffer.concat([Buffer.from([prefix, ...sequenceBytes]), cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
}

const key = (byte: number) => Buffer.alloc(32, byte);

describe("netcode: a second client of the same server, keys named in either orientation", () => {
  it("finds the server by fan-in (the second client's port is below the server's) and decrypts every datagram", async () => {
    const server = { address: "10.0.0.1", port: 40000 };
    const clients = [
      { address: "10.0.0.2", port: 50000, up: key(0x11), down: key(0x12), startUs: 0 },
      { address: "10.0.0.3", port: 30000, up: key(0x21), down: key(0x22), startUs: 3_000_000 },
    ];
    const frames: FrameRecord[] = [];
    for (const [index, client] of clients.entries()) {
      for (let round = 0; round < 40; round++) {
        const tUs = T0 + client.startUs + round * 50_000 + index * 7;
        const plain = Buffer.alloc(8);
        plain.writeUInt32LE(index, 0);
        plain.writeUInt32LE(64, 4);
        frames.push({ tUs, data: udpFrame(client.address, client.port, server.address, server.port, netcodePacket(4, BigInt(round + 1), plain, client.up)) });
        frames.push({ tUs: tUs + 20_000, data: udpFrame(server.address, server.port, client.address, client.port, netcodePacket(5, BigInt(round + 1), new Uint8Array(40).fill(round), client.down)) });
      }
    }
    frames.sort((left, right) => left.tUs - right.tUs);
    // The first client's keys are written the other way round (a tool that took it for the server).
    const keyFile = [
      `udp:10.0.0.1:40000-10.0.0.2:50000 serverToClient ${key(0x11).toString("hex")}`,
      `udp:10.0.0.1:40000-10.0.0.2:50000 clientToServer ${key(0x12).toString("hex")}`,
      `udp:10.0.0.3:30000-10.0.0.1:40000 clientToServer ${key(0x21).toString("hex")}`,
      `udp:10.0.0.3:30000-10.0.0.1:40000 serverToClient ${key(0x22).toString("hex")}`,
    ].join("\n");
    const result = await runCapturePipeline({ sources: [writePcap(frames)], decoder: compileProtocol(netcode, { keys: parseKeyFile(keyFile) }) });
    expect(result.sessions.map((session) => [session.id, session.serverRule])).toEqual([
      ["udp:10.0.0.2:50000-10.0.0.1:40000", "firstDatagramAtCaptureStart"],
      ["udp:10.0.0.3:30000-10.0.0.1:40000", "fanIn"],
    ]);
    expect(result.decodeAnomalies).toEqual({});
    expect(result.otherTraffic.packets).toBe(0);
    expect(result.messages.map((count) => `${count.session} ${count.direction} ${count.type} ${count.count}`)).toEqual([
      "udp:10.0.0.2:50000-10.0.0.1:40000 clientToServer keepAlive 40",
      "udp:10.0.0.2:50000-10.0.0.1:40000 serverToClient payload 40",
      "udp:10.0.0.3:30000-10.0.0.1:40000 clientToServer keepAlive 40",
      "udp:10.0.0.3:30000-10.0.0.1:40000 serverToClient payload 40",
    ]);
  });
});
