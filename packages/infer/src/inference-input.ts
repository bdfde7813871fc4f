import type { Direction, GameMessage, MessageAnalyzer, PacketObservation, Session } from "@tickscope/core";

/** One datagram as inference sees it: capture time, direction and the payload bytes (a copy). */
export interface InferenceDatagram {
  /** Capture time, µs since the Unix epoch. */
  tUs: number;
  /** Direction within its session. */
  direction: Direction;
  /** UDP payload. */
  payload: Uint8Array;
}

/** The datagrams of one session (both directions), in capture order. */
export interface InferenceFlow {
  /** Session id (any stable text). */
  sessionId: string;
  /** Server port of the session, when known (reported as the protocol's port). */
  serverPort?: number;
  /** Datagrams in capture order. */
  datagrams: InferenceDatagram[];
}

/** Options of {@link InferenceCollector}. */
export interface InferenceCollectorOptions {
  /** Datagrams kept per session and direction (the rest is counted, not kept). Default 2000. */
  maxDatagramsPerDirection?: number;
  /** Sessions kept at most (the rest is counted). Default 256. */
  maxSessions?: number;
}

/** Ports that are never a game's (DNS, DHCP, NTP, NetBIOS, SSDP, mDNS, LLMNR ...): the examples' `excludePorts`. */
const EXCLUDED_PORTS = new Set([1900, 5353, 5355]);

/** True when a session with these two ports is left out of inference by default (a well-known service port). */
export function isServicePort(port: number): boolean {
  return (port > 0 && port <= 1023) || EXCLUDED_PORTS.has(port);
}

/**
 * Collects a bounded sample of datagrams per session and direction from a
 * capture pipeline (`runCapturePipeline({ analyzers: [collector] })`): the
 * first `maxDatagramsPerDirection` of each direction, copied. Sessions on a
 * well-known service port (0–1023, SSDP, mDNS, LLMNR) are left out.
 */
export class InferenceCollector implements MessageAnalyzer<InferenceFlow[]> {
  /** Analyzer name. */
  readonly name = "inference-collector";
  private readonly flows = new Map<string, InferenceFlow & { counts: [number, number] }>();
  private readonly maxPerDirection: number;
  private readonly maxSessions: number;
  /** Datagrams seen (kept or not). */
  datagramsSeen = 0;
  /** Datagrams kept for inference. */
  datagramsKept = 0;
  /** Sessions left out (service ports, over the session limit). */
  sessionsSkipped = 0;
  private readonly skipped = new Set<string>();

  /** @param options sample bounds. */
  constructor(options: InferenceCollectorOptions = {}) {
    this.maxPerDirection = options.maxDatagramsPerDirection ?? 2000;
    this.maxSessions = options.maxSessions ?? 256;
  }

  /** Registers a session (UDP only; service ports and sessions past the limit are skipped). */
  onSession(session: Session): void {
    if (session.transport !== "udp" || isServicePort(session.server.port) || isServicePort(session.client.port) || this.flows.size >= this.maxSessions) {
      this.skipped.add(session.id);
      this.sessionsSkipped += 1;
      return;
    }
    this.flows.set(session.id, { sessionId: session.id, serverPort: session.server.port, datagrams: [], counts: [0, 0] });
  }

  /** Keeps a copy of the payload while the direction's sample is not full. */
  onPacket(packet: PacketObservation): void {
    this.datagramsSeen += 1;
    const flow = this.flows.get(packet.sessionId);
    if (flow === undefined || packet.payload === undefined) return;
    const slot = packet.direction === "clientToServer" ? 0 : 1;
    if (flow.counts[slot] >= this.maxPerDirection) return;
    flow.counts[slot] += 1;
    this.datagramsKept += 1;
    flow.datagrams.push({ tUs: packet.tUs, direction: packet.direction, payload: packet.payload.slice() });
  }

  /** Messages are not used (inference works without a definition). */
  onMessage(_message: GameMessage): void {}

  /** The sampled flows, in order of first packet, sessions without datagrams left out. */
  finish(): InferenceFlow[] {
    const flows: InferenceFlow[] = [];
    for (const { counts: _counts, ...flow } of this.flows.values()) if (flow.datagrams.length > 0) flows.push(flow);
    return flows;
  }
}
