import type { DatagramDecoder, GameMessage, Session } from "@tickscope/core";
import { readCapture, runCapturePipeline } from "@tickscope/capture";
import { createArenaEncoder } from "../arena-encoder.js";

/** One captured UDP packet, copied. */
export interface CapturedDatagram {
  index: number;
  tUs: number;
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  payload: Uint8Array;
}

/** What a capture decodes to with the arena definition. */
export interface DecodedCapture {
  packets: CapturedDatagram[];
  messages: GameMessage[];
  sessions: Session[];
  decodeAnomalies: Record<string, number>;
  captureAnomalies: Record<string, number>;
  anomalyPackets: Map<string, number[]>;
}

/** Reads pcapng bytes with `@tickscope/capture` and decodes them with the arena definition's decoder. */
export async function decodeArenaCapture(bytes: Uint8Array, decoder: DatagramDecoder = createArenaEncoder().protocol): Promise<DecodedCapture> {
  const packets: CapturedDatagram[] = [];
  await readCapture(bytes, {
    onPacket: (packet) =>
      packets.push({
        index: packet.index,
        tUs: packet.tUs,
        sourceAddress: packet.sourceAddress,
        sourcePort: packet.sourcePort,
        destinationAddress: packet.destinationAddress,
        destinationPort: packet.destinationPort,
        payload: packet.payload.slice(),
      }),
  });
  const messages: GameMessage[] = [];
  const sessions: Session[] = [];
  const anomalyPackets = new Map<string, number[]>();
  const result = await runCapturePipeline({
    sources: [bytes],
    decoder,
    serverPorts: [7777],
    analyzers: [
      {
        name: "collect",
        onSession: (session: Session) => sessions.push({ ...session }),
        onMessage: (message: GameMessage) => messages.push({ ...message, roles: { ...message.roles } }),
        onAnomaly: (anomaly) => {
          const list = anomalyPackets.get(anomaly.code) ?? [];
          list.push(anomaly.packetIndex);
          anomalyPackets.set(anomaly.code, list);
        },
        finish: () => null,
      },
    ],
  });
  return { packets, messages, sessions: result.sessions.length > 0 ? result.sessions : sessions, decodeAnomalies: result.decodeAnomalies, captureAnomalies: result.captures[0]?.anomalies ?? {}, anomalyPackets };
}
