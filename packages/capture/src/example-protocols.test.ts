import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { DecodeAnomaly, Direction, GameMessage } from "@tickscope/core";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { describe, expect, it } from "vitest";
import { readCapture } from "./read-capture.js";

/**
 * Real-capture tests of the example protocol definitions in examples/protocols.
 * The expected numbers were computed once with an independent throwaway decoder
 * over `tshark -T fields -e udp.payload` output (not with tickscope) and are
 * kept here as constants; RTP stream counts are read from tshark's own
 * `*.rtp-streams.txt` reference files.
 */

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const loadExample = (name: string): ProtocolDefinition => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8")) as ProtocolDefinition;

interface Decoded {
  messages: GameMessage[];
  anomalies: DecodeAnomaly[];
  datagrams: Record<Direction, number>;
}

async function decodeCapture(file: string, protocolName: string, accept: (sourcePort: number, destinationPort: number) => boolean, isClient: (address: string) => boolean): Promise<Decoded> {
  const protocol = compileProtocol(loadExample(protocolName));
  const result: Decoded = { messages: [], anomalies: [], datagrams: { clientToServer: 0, serverToClient: 0 } };
  await readCapture(sharedCapturePath(file), {
    onPacket(packet) {
      if (packet.transport !== "udp" || !accept(packet.sourcePort, packet.destinationPort)) return;
      const direction: Direction = isClient(packet.sourceAddress) ? "clientToServer" : "serverToClient";
      const client = direction === "clientToServer" ? `${packet.sourceAddress}:${packet.sourcePort}` : `${packet.destinationAddress}:${packet.destinationPort}`;
      const server = direction === "clientToServer" ? `${packet.destinationAddress}:${packet.destinationPort}` : `${packet.sourceAddress}:${packet.sourcePort}`;
      result.datagrams[direction] += 1;
      protocol.decodeDatagram(
        packet.payload,
        { sessionId: `${client}-${server}`, direction, tUs: packet.tUs, packetIndex: packet.index, packetWireLength: packet.wireLength },
        // Messages are kept past the callback: copy the byte view (a slice, not the whole read buffer).
        (message) => {
          const data = message.fields.data;
          result.messages.push({ ...message, fields: { ...message.fields, data: data instanceof Uint8Array ? data.slice() : null } });
        },
        (anomaly) => result.anomalies.push(anomaly),
      );
    },
  });
  return result;
}

describe("examples/protocols on real captures", () => {
  it.skipIf(!hasSharedCaptures)(`firefall.json decodes the 1869 gameplay capture exactly${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const decoded = await decodeCapture(
      "firefall_1869_gameplay.pcapng",
      "firefall",
      (source, destination) => [25000, 59238].includes(source) || [25000, 59238].includes(destination),
      (address) => address.startsWith("192.168."),
    );
    // Every datagram of the game flow (and the 4 handshake datagrams) decodes, with zero anomalies.
    expect(decoded.anomalies).toEqual([]);
    expect(decoded.datagrams).toEqual({ clientToServer: 4862, serverToClient: 25824 });
    const perChannel: Record<string, number> = {};
    const resends: Record<string, number> = {};
    for (const message of decoded.messages) {
      const key = `${message.direction} ${message.roles.channel ?? "handshake"}`;
      perChannel[key] = (perChannel[key] ?? 0) + 1;
      if ((message.roles.resendCount ?? 0) > 0) resends[key] = (resends[key] ?? 0) + 1;
    }
    // Independent decode of `tshark -T fields -e udp.payload` (throwaway script), packets per channel per direction.
    expect(perChannel).toEqual({
      "clientToServer handshake": 2,
      "serverToClient handshake": 2,
      "clientToServer 0": 1620,
      "clientToServer 1": 783,
      "clientToServer 2": 1549,
      "clientToServer 3": 6438,
      "serverToClient 0": 1350,
      "serverToClient 1": 268,
      "serverToClient 2": 3116,
      "serverToClient 3": 27299,
    });
    expect(resends).toEqual({ "clientToServer 1": 11, "clientToServer 2": 11, "serverToClient 1": 14, "serverToClient 2": 20 });

    // Resent packets are de-obfuscated: their payload equals the first transmission's.
    const originals = new Map<string, Uint8Array>();
    let compared = 0;
    for (const message of decoded.messages) {
      if (message.roles.sequence === undefined) continue;
      const key = `${message.direction} ${message.roles.channel} ${message.roles.sequence}`;
      const data = message.fields.data as Uint8Array;
      if (message.roles.resendCount === 0) originals.set(key, data);
      else if (originals.has(key) && originals.get(key)!.length === data.length) {
        expect(Buffer.from(data).equals(Buffer.from(originals.get(key)!))).toBe(true);
        compared += 1;
      }
    }
    expect(compared).toBe(54);

    // All 130 time-sync request/response pairs match through the echo role; RTTs around 50-70 ms.
    const requests = new Map<string, number>();
    const rttsMs: number[] = [];
    for (const message of decoded.messages) {
      if (message.roles.echoPhase === "request") requests.set(message.roles.echoKey!, message.tUs);
      else if (message.roles.echoPhase === "reply" && requests.has(message.roles.echoKey!)) rttsMs.push((message.tUs - requests.get(message.roles.echoKey!)!) / 1000);
    }
    expect(requests.size).toBe(130);
    expect(rttsMs).toHaveLength(130);
    rttsMs.sort((a, b) => a - b);
    expect(rttsMs[65]).toBeGreaterThan(40);
    expect(rttsMs[65]).toBeLessThan(80);
    expect(decoded.messages.filter((message) => message.type === "timeSyncResponse").every((message) => message.roles.sendTimeUs! > 1.4e15)).toBe(true);
  });

  for (const file of ["sipp_g711a.pcap", "ndpi_skinny.pcap"]) {
    it.skipIf(!hasSharedCaptures)(`rtp.json: per-stream packet counts equal tshark's on ${file}`, async () => {
      const expected = new Map<string, number>();
      for (const line of readFileSync(sharedCapturePath(`${file}.rtp-streams.txt`), "utf8").split("\n")) {
        const columns = line.trim().split(/\s+/);
        if (columns.length < 9 || !/^0x[0-9A-F]+$/i.test(columns[6])) continue;
        expected.set(`${columns[2]}:${columns[3]}>${columns[4]}:${columns[5]} ${Number(columns[6])}`, Number(columns[8]));
      }
      expect(expected.size).toBeGreaterThan(0);
      const counts = new Map<string, number>();
      const protocol = compileProtocol(loadExample("rtp"));
      const anomalies: DecodeAnomaly[] = [];
      await readCapture(sharedCapturePath(file), {
        onPacket(packet) {
          if (packet.transport !== "udp") return;
          const stream = `${packet.sourceAddress}:${packet.sourcePort}>${packet.destinationAddress}:${packet.destinationPort}`;
          protocol.decodeDatagram(
            packet.payload,
            { sessionId: stream, direction: "clientToServer", tUs: packet.tUs, packetIndex: packet.index, packetWireLength: packet.wireLength },
            (message) => {
              const key = `${stream} ${message.roles.sessionId}`;
              counts.set(key, (counts.get(key) ?? 0) + 1);
            },
            (anomaly) => anomalies.push(anomaly),
          );
        },
      });
      expect(anomalies).toEqual([]);
      expect(Object.fromEntries([...counts].sort())).toEqual(Object.fromEntries([...expected].sort()));
    });
  }
});
