import type { Direction, GameMessage, LogEvent, MessageAnalyzer, MessageRoles, Session } from "@tickscope/core";

/** Deterministic PRNG (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kinds of injected latency events. */
export type InjectedKind = "lossBurst" | "queueBuildup" | "snapshotBurst" | "tickStall" | "sharedPath" | "lastMile" | "routeChange";

/** One injected event. */
export interface InjectedSpike {
  kind: InjectedKind;
  /** Start, ms after the match start. */
  startMs: number;
  durationMs: number;
  /** Extra one-way delay, ms (delay kinds). */
  extraMs?: number;
  /** Sessions hit (indices); default: all for tickStall/sharedPath, [0] otherwise. */
  sessions?: number[];
  /** Also write a server log event of this type at the start (e.g. `gc_pause`). */
  logEvent?: string;
}

/** Options of {@link generateMatch}. */
export interface SyntheticMatchOptions {
  seed: number;
  durationMs: number;
  sessions: number;
  /** Base round-trip network delay (split evenly), ms. Default 50. */
  baseRttMs?: number;
  /** Mean of the exponential queueing jitter per packet and direction, ms. Default 1.5. */
  jitterMeanMs?: number;
  clientHz?: number;
  serverHz?: number;
  /** Background loss probability per packet. Default 0.003. */
  lossProbability?: number;
  spikes?: InjectedSpike[];
  /** Client ping (echo request) period, ms (0 = none). Default 1000. */
  pingPeriodMs?: number;
  /** Match start, µs since the epoch. */
  startUs?: number;
  /** Server clock − true time, µs (sendTime role of server packets). */
  serverClockOffsetUs?: number;
  /**
   * Acks travel on a control channel (Firefall-like): data messages are on
   * channel 1, every datagram also carries a channel-2 message with its own
   * sequence space (never acknowledged), and the ack is a separate channel-0
   * message whose `ackChannel` is 1. Default false (acks in the datagram header).
   */
  controlChannelAcks?: boolean;
}

/** A generated match seen from each client's side (see {@link matchMessages}). */
export interface SyntheticMatch {
  sessions: Session[];
  /** Captured datagrams of all sessions, in capture time order. */
  datagrams: Datagram[];
  logEvents: LogEvent[];
  startUs: number;
  spikes: InjectedSpike[];
  serverClockOffsetUs: number;
  /** See {@link SyntheticMatchOptions.controlChannelAcks}. */
  controlChannelAcks: boolean;
}

/** One generated datagram. */
export interface Datagram {
  sessionIndex: number;
  direction: Direction;
  sendUs: number;
  arriveUs: number;
  lost: boolean;
  sequence: number;
  types: [string, number][];
  ack?: number;
  ackBits?: number;
  tick?: number;
  echo?: { key: string; phase: "request" | "reply" };
}

const C2S_START = 65_000;
const S2C_START = 65_400;

/**
 * A deterministic synthetic match: every client sends inputs at `clientHz`,
 * the server sends snapshots at `serverHz`; both carry a 16-bit header
 * sequence/ack/ackBits (starting near the wrap) and a sendTime, copied onto
 * every message of the datagram (2 messages per server datagram). Capture at
 * each client. Injected events act through the real mechanism: a loss burst
 * drops server packets, a tick stall stops the server, a snapshot burst adds
 * 1,100-byte `fullSnapshot` messages and serialization delay, a queue
 * build-up triples the client send rate from 800 ms before its start and adds
 * upstream delay, shared/last-mile/route events add delay.
 */
export function generateMatch(options: SyntheticMatchOptions): SyntheticMatch {
  const random = createRandom(options.seed);
  const startUs = options.startUs ?? 1_700_000_000_000_000;
  const durationUs = options.durationMs * 1000;
  const baseOneWayUs = ((options.baseRttMs ?? 50) * 1000) / 2;
  const jitterMeanUs = (options.jitterMeanMs ?? 1.5) * 1000;
  const clientPeriodUs = 1e6 / (options.clientHz ?? 30);
  const serverPeriodUs = 1e6 / (options.serverHz ?? 60);
  const lossProbability = options.lossProbability ?? 0.003;
  const pingPeriodUs = (options.pingPeriodMs ?? 1000) * 1000;
  const spikes = options.spikes ?? [];
  const hits = (spike: InjectedSpike, session: number): boolean =>
    (spike.sessions ?? (spike.kind === "tickStall" || spike.kind === "sharedPath" ? undefined : [0]))?.includes(session) ?? true;
  const inWindow = (spike: InjectedSpike, tUs: number, beforeUs = 0): boolean =>
    tUs >= startUs + spike.startMs * 1000 - beforeUs &&
    (spike.kind === "routeChange" || tUs < startUs + (spike.startMs + spike.durationMs) * 1000);
  const exponential = (): number => -Math.log(1 - random()) * jitterMeanUs;

  const upstreamExtraUs = (session: number, tUs: number): number => {
    let extra = 0;
    for (const spike of spikes) {
      if (!hits(spike, session) || !inWindow(spike, tUs)) continue;
      if (spike.kind === "queueBuildup" || spike.kind === "routeChange" || spike.kind === "lastMile" || spike.kind === "sharedPath") {
        extra += (spike.extraMs ?? 40) * 1000;
      }
    }
    return extra;
  };
  const downstreamExtraUs = (session: number, tUs: number): number => {
    let extra = 0;
    for (const spike of spikes) {
      if (spike.kind === "snapshotBurst" && hits(spike, session) && inWindow(spike, tUs)) extra += (spike.extraMs ?? 40) * 1000;
    }
    return extra;
  };

  const sessions: Session[] = [];
  const datagrams: Datagram[] = [];
  const logEvents: LogEvent[] = [];
  for (const spike of spikes) {
    if (spike.logEvent !== undefined) {
      logEvents.push({ tUs: startUs + spike.startMs * 1000, type: spike.logEvent, values: { durationMs: spike.durationMs }, labels: {}, line: logEvents.length + 1 });
    }
  }
  // Background log events of the same types (so a type is not trivially rare).
  for (let t = 7_300_000; t < durationUs; t += 11_000_000) {
    logEvents.push({ tUs: startUs + t, type: "gc_pause", values: { durationMs: 3 }, labels: {}, line: logEvents.length + 1 });
  }

  for (let session = 0; session < options.sessions; session++) {
    const phaseUs = Math.floor(random() * clientPeriodUs);
    const client: Datagram[] = [];
    const server: Datagram[] = [];
    // Client sends.
    let sequence = C2S_START;
    let nextPingUs = pingPeriodUs;
    let pingCount = 0;
    for (let t = phaseUs; t < durationUs; ) {
      const tUs = startUs + t;
      const types: [string, number][] = [["input", 60]];
      let echo: Datagram["echo"];
      if (pingPeriodUs > 0 && t >= nextPingUs) {
        nextPingUs += pingPeriodUs;
        echo = { key: `${session}:${pingCount++}`, phase: "request" };
        types.push(["ping", 12]);
      }
      const lost = random() < lossProbability;
      client.push({
        sessionIndex: session,
        direction: "clientToServer",
        sendUs: tUs,
        arriveUs: tUs + baseOneWayUs + exponential() + upstreamExtraUs(session, tUs),
        lost,
        sequence: sequence++,
        types,
        echo,
      });
      const queueing = spikes.some((spike) => spike.kind === "queueBuildup" && hits(spike, session) && inWindow(spike, tUs + clientPeriodUs, 800_000));
      t += queueing ? clientPeriodUs / 3 : clientPeriodUs;
    }
    // Server sends (shared tick clock).
    let serverSequence = S2C_START;
    for (let tick = 0; tick * serverPeriodUs < durationUs; tick++) {
      const tUs = startUs + tick * serverPeriodUs + 200;
      if (spikes.some((spike) => spike.kind === "tickStall" && hits(spike, session) && inWindow(spike, tUs))) continue;
      const burstLoss = spikes.some((spike) => spike.kind === "lossBurst" && hits(spike, session) && inWindow(spike, tUs));
      const snapshotBurst = spikes.some((spike) => spike.kind === "snapshotBurst" && hits(spike, session) && inWindow(spike, tUs));
      const types: [string, number][] = [
        ["snapshot", 200],
        ["events", 40],
      ];
      if (snapshotBurst) types.push(["fullSnapshot", 1100]);
      server.push({
        sessionIndex: session,
        direction: "serverToClient",
        sendUs: tUs,
        arriveUs: tUs + baseOneWayUs + exponential() + downstreamExtraUs(session, tUs),
        lost: burstLoss || random() < lossProbability,
        sequence: serverSequence++,
        types,
        tick,
      });
    }
    // Acks: each side acks what it received by its send time.
    fillAcks(server, client);
    fillAcks(client, server);
    // Pongs: the first server datagram after a ping arrives.
    const byArrival = client.filter((datagram) => !datagram.lost && datagram.echo !== undefined).sort((a, b) => a.arriveUs - b.arriveUs);
    let serverIndex = 0;
    for (const ping of byArrival) {
      while (serverIndex < server.length && server[serverIndex].sendUs < ping.arriveUs) serverIndex++;
      if (serverIndex >= server.length) break;
      const reply = server[serverIndex];
      if (reply.echo === undefined) {
        reply.echo = { key: ping.echo!.key, phase: "reply" };
        reply.types.push(["pong", 12]);
      }
    }
    for (const datagram of client) datagrams.push(datagram);
    for (const datagram of server) if (!datagram.lost) datagrams.push(datagram);
    sessions.push({
      id: `s${String(session).padStart(4, "0")}`,
      transport: "udp",
      client: { address: `10.0.${session >> 8}.${session & 255}`, port: 50_000 + session },
      server: { address: "203.0.113.10", port: 7777 },
      firstUs: startUs,
      lastUs: startUs + durationUs,
      clientToServer: { packets: client.length, bytes: 0 },
      serverToClient: { packets: server.length, bytes: 0 },
      player: `player${session}`,
    } as Session);
  }
  datagrams.sort((a, b) => captureTime(a) - captureTime(b) || a.sessionIndex - b.sessionIndex);
  return { sessions, datagrams, logEvents, startUs, spikes, serverClockOffsetUs: options.serverClockOffsetUs ?? 0, controlChannelAcks: options.controlChannelAcks ?? false };
}

function captureTime(datagram: Datagram): number {
  return datagram.direction === "clientToServer" ? datagram.sendUs : datagram.arriveUs;
}

/** The client-side captured messages of a match, in time order (built lazily). */
export function* matchMessages(match: SyntheticMatch): Generator<GameMessage> {
  const { sessions, datagrams, serverClockOffsetUs } = match;
  if (match.controlChannelAcks) {
    yield* controlChannelMessages(match);
    return;
  }
  for (let packetIndex = 0; packetIndex < datagrams.length; packetIndex++) {
    const datagram = datagrams[packetIndex];
    let wire = 50;
    for (const [, bytes] of datagram.types) wire += bytes;
    for (let indexInPacket = 0; indexInPacket < datagram.types.length; indexInPacket++) {
      const [type, bytes] = datagram.types[indexInPacket];
      const roles: MessageRoles = {
        sequence: datagram.sequence & 0xffff,
        sequenceBits: 16,
        sendTimeUs: datagram.direction === "clientToServer" ? datagram.sendUs : datagram.sendUs + serverClockOffsetUs,
      };
      if (datagram.ack !== undefined) {
        roles.ack = datagram.ack & 0xffff;
        roles.ackBits = datagram.ackBits;
        roles.ackBitsWidth = 32;
      }
      if (datagram.tick !== undefined) roles.tick = datagram.tick;
      if (datagram.echo !== undefined && (type === "ping" || type === "pong")) {
        roles.echoKey = datagram.echo.key;
        roles.echoPhase = datagram.echo.phase;
      }
      yield {
        sessionId: sessions[datagram.sessionIndex].id,
        direction: datagram.direction,
        tUs: captureTime(datagram),
        packetIndex,
        indexInPacket,
        type,
        byteLength: bytes,
        packetWireLength: wire,
        fields: {},
        roles,
      };
    }
  }
}

/** {@link matchMessages} with acks on a control channel (see {@link SyntheticMatchOptions.controlChannelAcks}). */
function* controlChannelMessages(match: SyntheticMatch): Generator<GameMessage> {
  const { sessions, datagrams } = match;
  for (let packetIndex = 0; packetIndex < datagrams.length; packetIndex++) {
    const datagram = datagrams[packetIndex];
    const sessionId = sessions[datagram.sessionIndex].id;
    const tUs = captureTime(datagram);
    let wire = 50;
    for (const [, bytes] of datagram.types) wire += bytes;
    const base = { sessionId, direction: datagram.direction, tUs, packetIndex, packetWireLength: wire, fields: {} };
    let indexInPacket = 0;
    if (datagram.ack !== undefined) {
      yield { ...base, indexInPacket: indexInPacket++, type: "ack", byteLength: 8, roles: { channel: 0, ackChannel: 1, ack: datagram.ack & 0xffff, ackBits: datagram.ackBits, ackBitsWidth: 32 } };
    }
    for (const [type, bytes] of datagram.types) {
      const roles: MessageRoles = { channel: 1, sequence: datagram.sequence & 0xffff, sequenceBits: 16 };
      if (datagram.tick !== undefined) roles.tick = datagram.tick;
      if (datagram.echo !== undefined && (type === "ping" || type === "pong")) {
        roles.echoKey = datagram.echo.key;
        roles.echoPhase = datagram.echo.phase;
      }
      yield { ...base, indexInPacket: indexInPacket++, type, byteLength: bytes, roles };
    }
    // A second data channel with its own sequence space, never acknowledged, whose numbers run 40 datagrams
    // ahead of channel 1's: an ack of channel 1 paired with it would be ~1.3 s too large.
    yield { ...base, indexInPacket, type: "reliableState", byteLength: 20, roles: { channel: 2, sequence: (datagram.sequence + 40) & 0xffff, sequenceBits: 16 } };
  }
}

/** Sets `ack`/`ackBits` of each `senders` datagram from the `peers` datagrams arrived by its send time. */
function fillAcks(senders: Datagram[], peers: Datagram[]): void {
  const arrivals = peers.filter((datagram) => !datagram.lost).sort((a, b) => a.arriveUs - b.arriveUs);
  const received = new Set<number>();
  let highest = -1;
  let index = 0;
  for (const sender of senders) {
    while (index < arrivals.length && arrivals[index].arriveUs <= sender.sendUs) {
      received.add(arrivals[index].sequence);
      highest = Math.max(highest, arrivals[index].sequence);
      index++;
    }
    if (highest < 0) continue;
    let bits = 0;
    for (let bit = 0; bit < 32; bit++) if (received.has(highest - 1 - bit)) bits |= 1 << bit;
    sender.ack = highest;
    sender.ackBits = bits >>> 0;
  }
}

/** Feeds sessions, messages and log events to an analyzer in time order and returns its report. */
export function runAnalyzer<Report>(analyzer: MessageAnalyzer<Report>, match: SyntheticMatch): Report {
  for (const session of match.sessions) analyzer.onSession?.(session);
  let logIndex = 0;
  const events = [...match.logEvents].sort((a, b) => a.tUs - b.tUs);
  for (const message of matchMessages(match)) {
    while (logIndex < events.length && events[logIndex].tUs <= message.tUs) analyzer.onLogEvent?.(events[logIndex++]);
    analyzer.onMessage(message);
  }
  while (logIndex < events.length) analyzer.onLogEvent?.(events[logIndex++]);
  return analyzer.finish();
}
