import {
  AnomalyCounter,
  clonePacket,
  ErrorCode,
  type DatagramContext,
  type DatagramDecoder,
  type DecodeAnomaly,
  type Direction,
  type Flow,
  type GameMessage,
  type LogEvent,
  type MessageAnalyzer,
  type OtherTraffic,
  type PacketObservation,
  RoleUnwrapper,
  type RoleUnwrapperSender,
  type Session,
} from "@tickscope/core";
import type { ByteSource } from "./byte-source.js";
import { compileTrafficMatch, type ProtocolDefinition, type TrafficMatch } from "@tickscope/core/protocol";
import { FlowTable, type FlowEntry } from "./flow-table.js";
import { GameTrafficGate, type GatedPacket } from "./game-traffic-gate.js";
import type { ReassemblyOptions } from "./fragment-reassembler.js";
import type { CapturedPacket } from "./packet-decoder.js";
import { readCapture, type CaptureSummary, type PcapEngine } from "./read-capture.js";
import { TimeOrderedLog, type TimeOrderedLogOptions } from "./time-ordered-log.js";

/** Messages of one (session, direction, type). */
export interface MessageCount {
  /** Session id. */
  session: string;
  /** Direction. */
  direction: Direction;
  /** Message type. */
  type: string;
  /** Messages decoded. */
  count: number;
  /** Sum of the messages' `byteLength`. */
  bytes: number;
}

/** One capture input of the pipeline: a source, optionally with a display name. */
export type CaptureInput = ByteSource | { source: ByteSource; name?: string };

/** Options of {@link runCapturePipeline}. */
export interface CapturePipelineOptions {
  /** Captures, read one after another as one continuous capture (give them in time order). */
  sources: readonly CaptureInput[];
  /**
   * Protocol decoder run on the game's UDP datagrams. A decoder compiled from a
   * definition (`compileProtocol`) brings the definition's `match` section: only
   * matching traffic is decoded, the rest is other traffic.
   */
  decoder?: DatagramDecoder;
  /** Which traffic is the game's; default: compiled from the decoder's definition, if it has one. */
  trafficMatch?: TrafficMatch;
  /**
   * Server ports (`--server-port`): decide the server side of a session and
   * restrict the game's traffic to flows on them (see {@link FlowTable} and {@link GameTrafficGate}).
   */
  serverPorts?: readonly number[];
  /** Analyzers fed in capture order. */
  analyzers?: readonly MessageAnalyzer<unknown>[];
  /** Server-log events merged in time order before the packets (see `readServerLog`). */
  logEvents?: readonly LogEvent[];
  /**
   * A server log streamed in file order (see `openServerLog`), merged in time
   * order with bounded memory instead of `logEvents` (see {@link TimeOrderedLog};
   * pass one to read its out-of-order count afterwards).
   */
  logStream?: AsyncIterable<LogEvent> | TimeOrderedLog;
  /** Reorder window and read-ahead of `logStream`. */
  logMerge?: TimeOrderedLogOptions;
  /** Also feed TCP sessions to analyzers (never to the decoder). Default false: UDP only. */
  includeTcp?: boolean;
  /** Call each analyzer's `finish()` and return the reports. Default true. */
  finishAnalyzers?: boolean;
  /** Classic-pcap reader. */
  pcapEngine?: PcapEngine;
  /** Fragment reassembly limits. */
  reassembly?: ReassemblyOptions;
  /** Flows kept at most. */
  maxFlows?: number;
  /**
   * Which sessions this pass analyzes (session-sharded threads: each thread
   * takes its share of the same captures' sessions). Called once per session,
   * just before its `onSession`, which still reaches every analyzer so that the
   * session list is complete in every pass. The datagrams of a session it
   * rejects are not decoded and reach no analyzer (`onPacket`, `onMessage`,
   * `onAnomaly`); flow tracking, session counters, other traffic and packet
   * indices stay exactly those of a pass without a filter. Default: every session.
   */
  sessionFilter?: (session: Session) => boolean;
  /**
   * Index of the first packet of the first capture (default 0): a pass over the
   * later files of a run numbers its packets after the earlier files' (as one
   * pass over them all would), so packet indices stay unique across files.
   */
  firstPacketIndex?: number;
}

/** Result of {@link runCapturePipeline}. */
export interface CapturePipelineResult {
  /** One summary per capture, in input order. */
  captures: CaptureSummary[];
  /** Flows (UDP and TCP), in order of first packet. */
  flows: Flow[];
  /** Sessions (UDP and TCP), in order of first packet. */
  sessions: Session[];
  /** Capture anomalies of all captures, by code (codes sorted). */
  anomalies: Record<string, number>;
  /** Decode anomalies by code (codes sorted); empty without a decoder. */
  decodeAnomalies: Record<string, number>;
  /** Decoded messages per (session, direction, type), sorted by those keys. */
  messages: MessageCount[];
  /** Packets handed to analyzers (and the decoder). */
  datagrams: number;
  /**
   * Traffic that is not the game's (wrong ports, failing the definition's match,
   * TCP), never handed to analyzers or the decoder; empty without a decoder and
   * without `serverPorts`.
   */
  otherTraffic: OtherTraffic;
  /** Packets of new flows not tracked because `maxFlows` was reached (0 normally). */
  untrackedPackets: number;
  /** Reports of the analyzers, in analyzer order (empty when `finishAnalyzers` is false). */
  reports: unknown[];
  /** Server-log events handed to the analyzers. */
  logEvents: number;
  /** Server-log merge anomalies (`E_LOG_OUT_OF_ORDER`), codes sorted. */
  logAnomalies: Record<string, number>;
}

/**
 * One pass over one or more captures: reads packets, tracks flows and
 * sessions, runs the protocol decoder on UDP payloads and feeds every analyzer
 * (`onSession`, `onPacket` with the payload view, `onMessage`, `onAnomaly`,
 * `onLogEvent`) in capture order. With several captures, packet indices
 * continue across files (the second file's first packet gets the index after
 * the first file's last frame) so they stay unique. The `PacketObservation`
 * passed to `onPacket` is one reused object and its `payload` a view into the
 * read buffer: copy what you keep. Decoded messages reach analyzers with their
 * time-like roles unwrapped (core's `RoleUnwrapper`: `sendTimeUs`,
 * `targetTimeUs`, `tick` monotonic per session direction). This is what `tickscope analyze` and
 * `tickscope inspect --protocol` run.
 */
export async function runCapturePipeline(options: CapturePipelineOptions): Promise<CapturePipelineResult> {
  const analyzers = options.analyzers ?? [];
  const decoder = options.decoder;
  const includeTcp = options.includeTcp ?? false;
  const trafficMatch = options.trafficMatch ?? trafficMatchOf(decoder);
  // With a decoder or server ports, only the game's traffic reaches analyzers; the rest is other traffic.
  const gating = decoder !== undefined || (options.serverPorts?.length ?? 0) > 0 || options.trafficMatch !== undefined;
  const table = new FlowTable({
    serverPorts: options.serverPorts,
    maxFlows: options.maxFlows,
    isDefinitionServerPort: trafficMatch?.hasServerPorts === true ? (port) => trafficMatch.isServerPort(port) : undefined,
    sessionCountsByCaller: gating,
  });
  const decodeAnomalies = new AnomalyCounter();
  const log =
    options.logStream instanceof TimeOrderedLog
      ? options.logStream
      : options.logStream !== undefined
        ? new TimeOrderedLog(options.logStream, options.logMerge)
      : options.logEvents !== undefined && options.logEvents.length > 0
        ? new TimeOrderedLog([...options.logEvents].sort((left, right) => left.tUs - right.tUs), { lookahead: options.logEvents.length })
        : undefined;
  let indexOffset = options.firstPacketIndex ?? 0;
  let datagrams = 0;
  // sessions the filter rejected: tracked and counted, never decoded or analyzed
  const sessionFilter = options.sessionFilter;
  const rejectedEntries = new Set<FlowEntry>();
  let anyRejected = false;
  const deliverSession = (entry: FlowEntry): void => {
    if (sessionFilter !== undefined && !sessionFilter(entry.session)) {
      rejectedEntries.add(entry);
      anyRejected = true;
    }
    for (const analyzer of analyzers) analyzer.onSession?.(entry.session);
  };
  const observation: PacketObservation = {
    sessionId: "",
    direction: "clientToServer",
    tUs: 0,
    packetIndex: 0,
    wireLength: 0,
    payloadLength: 0,
    frameCount: 1,
    payload: undefined,
    interfaceId: 0,
    ipIdentification: -1,
  };
  const context: DatagramContext = { sessionId: "", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 };
  // Message counts per session: one small map per (session, direction), keyed
  // by the message type (an interned definition string), looked up once per
  // packet instead of building a "session/direction/type" key per message.
  const countsBySession = new Map<string, [Map<string, MessageCount>, Map<string, MessageCount>]>();
  const countsOf = (sessionId: string, direction: Direction): Map<string, MessageCount> => {
    let pair = countsBySession.get(sessionId);
    if (pair === undefined) {
      pair = [new Map(), new Map()];
      countsBySession.set(sessionId, pair);
    }
    return pair[direction === "clientToServer" ? 0 : 1];
  };
  let currentSessionId = "";
  let currentDirection: Direction = "clientToServer";
  let currentEntry: unknown;
  // decode state of the current packet's session direction (undefined before the first decoded datagram)
  let currentSide: SideDecodeState | undefined;
  // Clocks and ticks that wrap (a u32 ms clock, a 16/24-bit tick) are unwrapped once here, per
  // session direction, so no analyzer ever sees a wrap.
  const roleUnwrapper = new RoleUnwrapper();
  const countIn = (counts: Map<string, MessageCount>, message: GameMessage): MessageCount => {
    let count = counts.get(message.type);
    if (count === undefined) {
      count = { session: message.sessionId, direction: message.direction, type: message.type, count: 0, bytes: 0 };
      counts.set(message.type, count);
    }
    return count;
  };
  const onMessage = (message: GameMessage): void => {
    const side = currentSide;
    let count: MessageCount;
    if (side === undefined || message.sessionId !== currentSessionId || message.direction !== currentDirection) {
      // A decoder may name another session or direction than the packet's: count it there.
      roleUnwrapper.apply(message);
      count = countIn(countsOf(message.sessionId, message.direction), message);
    } else {
      // The packet's own session direction: its clock state and latest count are kept on the flow (no lookup per message).
      const roles = message.roles;
      if (roles.sendTimeModulusUs !== undefined || roles.targetTimeModulusUs !== undefined || roles.tickBits !== undefined) {
        let sender = side.sender;
        if (sender === undefined) {
          sender = roleUnwrapper.senderOf(currentSessionId, currentDirection);
          side.sender = sender;
        }
        roleUnwrapper.applyFor(message, sender);
      }
      const type = message.type;
      if (type === side.lastType) {
        count = side.lastCount!;
      } else {
        count = countIn(side.counts, message);
        side.lastType = type;
        side.lastCount = count;
      }
    }
    count.count += 1;
    count.bytes += message.byteLength;
    for (let index = 0; index < analyzers.length; index++) analyzers[index].onMessage(message);
  };
  const onAnomaly = (anomaly: DecodeAnomaly): void => {
    decodeAnomalies.add(anomaly.code, anomaly.packetIndex);
    for (const analyzer of analyzers) analyzer.onAnomaly?.(anomaly);
  };
  const deliverLogEvent = (event: LogEvent): void => {
    for (const analyzer of analyzers) analyzer.onLogEvent?.(event);
  };
  // Log events with a time <= a packet's go to the analyzers before it. When the
  // log's read-ahead runs dry inside a capture chunk, the rest of the chunk's
  // packets wait (copied) until the log is read further between chunks.
  const waiting: CapturedPacket[] = [];
  const onPacket = (packet: CapturedPacket): void => {
    if (log !== undefined && (waiting.length > 0 || !log.deliverUntil(packet.tUs, deliverLogEvent))) {
      waiting.push(clonePacket(packet) as CapturedPacket);
      return;
    }
    handlePacket(packet);
  };
  const betweenChunks = async (): Promise<void> => {
    for (let index = 0; index < waiting.length; index++) {
      await log!.deliverThrough(waiting[index].tUs, deliverLogEvent);
      handlePacket(waiting[index]);
    }
    waiting.length = 0;
    await log!.refill();
  };
  const handlePacket = (packet: CapturedPacket): void => {
    const seen = table.observe(packet);
    const entry = seen.entry;
    if (entry === undefined) return;
    if (gating) {
      if (seen.isNew) gate.classifyFlow(entry);
      gate.offer(packet, entry, seen.direction, packet.index + indexOffset);
      return;
    }
    if (packet.transport !== "udp" && !(includeTcp && packet.transport === "tcp")) return;
    if (seen.isNew) deliverSession(entry);
    handOn(packet, entry, seen.direction, packet.index + indexOffset);
  };
  const handOn = (packet: GatedPacket, entry: FlowEntry, direction: Direction, packetIndex: number): void => {
    if (anyRejected && rejectedEntries.has(entry)) return;
    datagrams += 1;
    observation.sessionId = entry.id;
    observation.direction = direction;
    observation.tUs = packet.tUs;
    observation.packetIndex = packetIndex;
    observation.wireLength = packet.wireLength;
    observation.payloadLength = packet.payload.length;
    observation.frameCount = packet.frameCount;
    observation.payload = packet.payload;
    observation.interfaceId = packet.interfaceId ?? 0;
    observation.ipIdentification = packet.ipIdentification ?? -1;
    for (let index = 0; index < analyzers.length; index++) analyzers[index].onPacket?.(observation);
    if (decoder === undefined || packet.transport !== "udp") return;
    if (entry !== currentEntry || direction !== currentDirection) {
      currentEntry = entry;
      currentSessionId = entry.id;
      currentDirection = direction;
      let state = entry.decodeState as FlowDecodeState | undefined;
      if (state === undefined) {
        state = { clientToServer: sideDecodeState(countsOf(entry.id, "clientToServer")), serverToClient: sideDecodeState(countsOf(entry.id, "serverToClient")) };
        entry.decodeState = state;
      }
      currentSide = direction === "clientToServer" ? state.clientToServer : state.serverToClient;
    }
    context.sessionId = entry.id;
    context.direction = direction;
    context.tUs = packet.tUs;
    context.packetIndex = packetIndex;
    context.packetWireLength = packet.wireLength;
    try {
      decoder.decodeDatagram(packet.payload, context, onMessage, onAnomaly);
    } catch (error) {
      onAnomaly({
        sessionId: entry.id,
        direction,
        tUs: packet.tUs,
        packetIndex,
        code: (error as { code?: string }).code ?? ErrorCode.decodeFailed,
        detail: `decoder threw: ${(error as Error).message}`,
      });
    }
  };
  const gate = new GameTrafficGate({
    match: trafficMatch,
    serverPorts: options.serverPorts,
    includeTcp,
    deliver: (packet, entry, direction, packetIndex) => {
      if (entry.traffic.gamePackets === 1) deliverSession(entry);
      table.countInSession(entry, direction, packet.lastFrameWireLength ?? packet.wireLength, packet.tUs);
      handOn(packet, entry, direction, packetIndex);
    },
  });
  if (log !== undefined) await log.refill();
  const captures: CaptureSummary[] = [];
  const anomalyTotals = new Map<string, number>();
  for (const input of options.sources) {
    const source = typeof input === "object" && !(input instanceof Uint8Array) && "source" in input ? input.source : (input as ByteSource);
    const name = typeof input === "object" && !(input instanceof Uint8Array) && "source" in input ? input.name : undefined;
    const summary = await readCapture(source, {
      onPacket,
      pcapEngine: options.pcapEngine,
      reassembly: options.reassembly,
      name,
      betweenChunks: log === undefined ? undefined : betweenChunks,
    });
    if (log !== undefined) await betweenChunks(); // packets the reader handed over at its end
    captures.push(summary);
    for (const [code, count] of Object.entries(summary.anomalies)) anomalyTotals.set(code, (anomalyTotals.get(code) ?? 0) + count);
    indexOffset += summary.packets;
  }
  gate.finish();
  if (log !== undefined) {
    await log.deliverThrough(Number.POSITIVE_INFINITY, deliverLogEvent);
  }
  const messages: MessageCount[] = [];
  for (const pair of countsBySession.values()) for (const counts of pair) for (const count of counts.values()) messages.push(count);
  messages.sort(compareMessageCounts);
  const entries = table.entriesInOrder();
  const reports = (options.finishAnalyzers ?? true) ? analyzers.map((analyzer) => analyzer.finish()) : [];
  return {
    captures,
    flows: table.flows(),
    sessions: gating ? table.sessions().filter((_, index) => entries[index].traffic.gamePackets > 0) : table.sessions(),
    anomalies: Object.fromEntries([...anomalyTotals.entries()].sort(([left], [right]) => (left < right ? -1 : 1))),
    decodeAnomalies: decodeAnomalies.toCounts(),
    messages,
    datagrams,
    otherTraffic: gate.otherTraffic(entries),
    untrackedPackets: table.untrackedPackets,
    reports,
    logEvents: log?.delivered ?? 0,
    logAnomalies: log?.anomalyCounts() ?? {},
  };
}

/** What the pipeline keeps per decoded flow direction: its message counts, the latest type counted, and its clock state. */
interface SideDecodeState {
  /** Message counts by type. */
  counts: Map<string, MessageCount>;
  /** Type of the latest message counted here (a datagram's messages are mostly of one type): its count is `lastCount`. */
  lastType: string | undefined;
  /** Count of `lastType`. */
  lastCount: MessageCount | undefined;
  /** The role unwrapper's state of this session direction, once a message had a wrapping role. */
  sender: RoleUnwrapperSender | undefined;
}

/** A new {@link SideDecodeState} over `counts`. */
function sideDecodeState(counts: Map<string, MessageCount>): SideDecodeState {
  return { counts, lastType: undefined, lastCount: undefined, sender: undefined };
}

/** What the pipeline keeps per decoded flow: one {@link SideDecodeState} per direction. */
interface FlowDecodeState {
  clientToServer: SideDecodeState;
  serverToClient: SideDecodeState;
}

/** Definitions compiled to their traffic match, once per definition object. */
const compiledMatches = new WeakMap<object, TrafficMatch>();

/** The traffic match of a decoder compiled from a definition (a `CompiledProtocol` carries its `definition`). */
function trafficMatchOf(decoder: DatagramDecoder | undefined): TrafficMatch | undefined {
  const definition = (decoder as { definition?: ProtocolDefinition } | undefined)?.definition;
  if (definition === undefined || typeof definition !== "object" || definition.match === undefined) return undefined;
  let match = compiledMatches.get(definition);
  if (match === undefined) {
    match = compileTrafficMatch(definition);
    compiledMatches.set(definition, match);
  }
  return match;
}

function compareMessageCounts(left: MessageCount, right: MessageCount): number {
  if (left.session !== right.session) return left.session < right.session ? -1 : 1;
  if (left.direction !== right.direction) return left.direction < right.direction ? -1 : 1;
  if (left.type !== right.type) return left.type < right.type ? -1 : 1;
  return 0;
}
