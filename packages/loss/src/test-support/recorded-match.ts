import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "@tickscope-test/support";
import type { DatagramDecoder, DecodeAnomaly, GameMessage, MessageAnalyzer, PacketObservation, Session } from "@tickscope/core";

// Loaded dynamically with local shapes so this package's typecheck does not
// depend on the build state of the sim/capture devDependencies.
interface SimModule {
  simulateMatchToMemory(options: Record<string, unknown>): { pcapng: Uint8Array };
}
interface CaptureModule {
  runCapturePipeline(options: { sources: Uint8Array[]; decoder: DatagramDecoder; analyzers: MessageAnalyzer<unknown>[] }): Promise<{ reports: unknown[] }>;
}
interface ProtocolModule {
  compileProtocol(definition: string): DatagramDecoder;
}

/** One analyzer event of a recorded pipeline run, copied. */
export type RecordedEvent =
  | { kind: "session"; session: Session }
  | { kind: "packet"; packet: PacketObservation }
  | { kind: "message"; message: GameMessage }
  | { kind: "anomaly"; anomaly: DecodeAnomaly };

/** Runs a simulated arena match through the capture pipeline and records every analyzer event. */
export async function recordSimulatedMatch(matchOptions: Record<string, unknown>): Promise<RecordedEvent[]> {
  const sim = (await import("@tickscope/sim")) as unknown as SimModule;
  const capture = (await import("@tickscope/capture")) as unknown as CaptureModule;
  const { compileProtocol } = (await import("@tickscope/core/protocol")) as unknown as ProtocolModule;
  const match = sim.simulateMatchToMemory(matchOptions);
  const events: RecordedEvent[] = [];
  const recorder: MessageAnalyzer<null> = {
    name: "recorder",
    onSession: (session) => events.push({ kind: "session", session: { ...session } }),
    onPacket: (packet) => events.push({ kind: "packet", packet: { ...packet, payload: packet.payload?.slice() } }),
    onMessage: (message) => events.push({ kind: "message", message: { ...message, fields: {}, roles: structuredClone(message.roles) } }),
    onAnomaly: (anomaly) => events.push({ kind: "anomaly", anomaly: { ...anomaly } }),
    finish: () => null,
  };
  const definition = readFileSync(join(repositoryRoot, "examples/protocols/arena.json"), "utf8");
  await capture.runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(definition), analyzers: [recorder] });
  return events;
}

/** Session id of an event. */
export function sessionOf(event: RecordedEvent): string {
  switch (event.kind) {
    case "session":
      return event.session.id;
    case "packet":
      return event.packet.sessionId;
    case "message":
      return event.message.sessionId;
    default:
      return event.anomaly.sessionId;
  }
}

/** Feeds recorded events to an analyzer, packet indices lowered by `packetIndexOffset`. */
export function feed(analyzer: MessageAnalyzer<unknown>, events: readonly RecordedEvent[], packetIndexOffset = 0): void {
  const sessionsSeen = new Set<string>();
  for (const event of events) {
    switch (event.kind) {
      case "session":
        sessionsSeen.add(event.session.id);
        analyzer.onSession?.(event.session);
        break;
      case "packet":
        analyzer.onPacket?.({ ...event.packet, packetIndex: event.packet.packetIndex - packetIndexOffset });
        break;
      case "message":
        analyzer.onMessage?.({ ...event.message, packetIndex: event.message.packetIndex - packetIndexOffset });
        break;
      default:
        analyzer.onAnomaly?.({ ...event.anomaly, packetIndex: event.anomaly.packetIndex - packetIndexOffset });
    }
  }
}

/**
 * Cuts recorded events at the first packet at or after `cutUs` (a rotation):
 * the second pass's packet indices restart at 0 (`offset` = the cut packet's
 * index) and its sessions get `onSession` again before their first event.
 */
export function cutAt(events: readonly RecordedEvent[], cutUs: number): { first: RecordedEvent[]; second: RecordedEvent[]; offset: number } {
  const index = events.findIndex((event) => event.kind === "packet" && event.packet.tUs >= cutUs);
  const cut = index < 0 ? events.length : index;
  const first = events.slice(0, cut);
  const rest = events.slice(cut);
  const offset = index < 0 ? 0 : (events[index] as { packet: PacketObservation }).packet.packetIndex;
  const sessions = new Map<string, Session>();
  for (const event of events) if (event.kind === "session") sessions.set(event.session.id, event.session);
  const second: RecordedEvent[] = [];
  const announced = new Set<string>();
  for (const event of rest) {
    const id = sessionOf(event);
    if (event.kind === "session") announced.add(id);
    else if (!announced.has(id) && sessions.has(id)) {
      announced.add(id);
      second.push({ kind: "session", session: sessions.get(id)! });
    }
    second.push(event);
  }
  return { first, second, offset };
}

/** Shifts every sequence and ack role by `shift` modulo 2^16 (moves a 16-bit wrap to where a test wants it). */
export function shiftSequences(events: readonly RecordedEvent[], shift: number): RecordedEvent[] {
  return events.map((event) => {
    if (event.kind !== "message") return event;
    const roles = { ...event.message.roles };
    if (typeof roles.sequence === "number") roles.sequence = (roles.sequence + shift) & 0xffff;
    if (typeof roles.ack === "number") roles.ack = (roles.ack + shift) & 0xffff;
    return { kind: "message", message: { ...event.message, roles } };
  });
}

/** A seeded PRNG (mulberry32) for splits and merge orders. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
