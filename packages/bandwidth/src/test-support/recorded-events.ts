import type { DecodeAnomaly, GameMessage, MessageAnalyzer, PacketObservation } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { copyFields } from "../field-values.js";

/** One analyzer event of a pass, copied so it can be replayed. */
export type RecordedEvent =
  | { kind: "packet"; sessionId: string; tUs: number; packetIndex: number; packet: PacketObservation }
  | { kind: "message"; sessionId: string; tUs: number; packetIndex: number; message: GameMessage }
  | { kind: "anomaly"; sessionId: string; tUs: number; packetIndex: number; anomaly: DecodeAnomaly };

/** Runs a capture through the pipeline and records every event a bandwidth analyzer gets (payloads and fields copied). */
export async function recordEvents(options: Omit<Parameters<typeof runCapturePipeline>[0], "analyzers">): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  const recorder: MessageAnalyzer<null> = {
    name: "recorder",
    onPacket(packet) {
      const copy: PacketObservation = { ...packet };
      if (packet.payload !== undefined) copy.payload = packet.payload.slice();
      events.push({ kind: "packet", sessionId: packet.sessionId, tUs: packet.tUs, packetIndex: packet.packetIndex, packet: copy });
    },
    onMessage(message) {
      const copy: GameMessage = { ...message, fields: copyFields(message.fields), roles: structuredClone(message.roles) };
      events.push({ kind: "message", sessionId: message.sessionId, tUs: message.tUs, packetIndex: message.packetIndex, message: copy });
    },
    onAnomaly(anomaly) {
      events.push({ kind: "anomaly", sessionId: anomaly.sessionId, tUs: anomaly.tUs, packetIndex: anomaly.packetIndex, anomaly: { ...anomaly } });
    },
    finish: () => null,
  };
  await runCapturePipeline({ ...options, analyzers: [recorder] });
  return events;
}

/** Feeds recorded events to an analyzer, packet indices moved by `packetIndexShift` (a later file of a rotation numbers from 0). */
export function replayEvents(analyzer: MessageAnalyzer<unknown>, events: readonly RecordedEvent[], packetIndexShift = 0): void {
  for (const event of events) {
    if (event.kind === "packet") analyzer.onPacket?.(packetIndexShift === 0 ? event.packet : { ...event.packet, packetIndex: event.packetIndex + packetIndexShift });
    else if (event.kind === "message") analyzer.onMessage(packetIndexShift === 0 ? event.message : { ...event.message, packetIndex: event.packetIndex + packetIndexShift });
    else analyzer.onAnomaly?.(packetIndexShift === 0 ? event.anomaly : { ...event.anomaly, packetIndex: event.packetIndex + packetIndexShift });
  }
}
