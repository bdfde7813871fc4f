import {
  formatAddressPort,
  type Direction,
  type Flow,
  type OtherTrafficReason,
  type Packet,
  type ServerRule,
  type Session,
  type Transport,
} from "@tickscope/core";

/** Options of a {@link FlowTable}. */
export interface FlowTableOptions {
  /** Ports that identify the server side of a session (`--server-port`): the strongest evidence. */
  serverPorts?: readonly number[];
  /** The protocol definition's server ports (`match.ports`), the next evidence. */
  isDefinitionServerPort?: (port: number) => boolean;
  /**
   * A flow whose first packet comes this soon after the capture's first packet
   * may have begun before the capture, so who sent first is weak evidence
   * (ephemeral ports are asked first). Default 1 s.
   */
  captureStartWindowUs?: number;
  /**
   * When true, session counters (packets, bytes, first/last time) count only
   * what the caller passes to {@link FlowTable.countInSession} (the game's
   * datagrams); flow counters always count every packet. Default false.
   */
  sessionCountsByCaller?: boolean;
  /** Flows kept at most (bounded memory, ~0.5 KB each); packets of further new flows are not tracked (`untrackedPackets`). Default 250,000. */
  maxFlows?: number;
}

/** Whether a flow's traffic is the game's: state kept by the capture pipeline's game-traffic gate. */
export interface FlowTrafficState {
  /** Set when the whole flow is not the game's (ports), with the reason. */
  excludedBy: OtherTrafficReason | undefined;
  /** True once enough datagrams matched (`match.acceptAfter`). */
  accepted: boolean;
  /** Matching datagrams counted towards acceptance. */
  matchedDatagrams: number;
  /** Bumped when held datagrams of the flow expire unaccepted (they become other traffic). */
  generation: number;
  /** Datagrams handed on as the game's. */
  gamePackets: number;
  /** Packets counted as other traffic. */
  otherPackets: number;
  /** Frame bytes of those packets. */
  otherBytes: number;
  /** First reason any packet of the flow was other traffic. */
  otherReason: OtherTrafficReason | undefined;
}

/** Counters of one direction. */
export interface DirectionTotals {
  /** Packets (a reassembled datagram counts once). */
  packets: number;
  /** Frame bytes on the wire (for a reassembled datagram: its last frame, as tshark counts). */
  bytes: number;
}

/**
 * One bidirectional conversation and the session view of it. `a` sent the
 * first packet; `client`/`server` are the roles decided when it was created.
 */
export interface FlowEntry {
  /** Stable session id: `transport:client-server`, e.g. `udp:10.0.0.2:50000-10.0.0.1:7777`. */
  readonly id: string;
  /** Transport. */
  readonly transport: Transport;
  /** Endpoint that sent the first packet. */
  readonly aAddress: string;
  /** Port of `a`. */
  readonly aPort: number;
  /** The other endpoint. */
  readonly bAddress: string;
  /** Port of `b`. */
  readonly bPort: number;
  /** True when `a` is the client. */
  readonly aIsClient: boolean;
  /** Which evidence decided the server side. */
  readonly serverRule: ServerRule;
  /** Game or other traffic (see the capture pipeline). */
  readonly traffic: FlowTrafficState;
  /** Traffic from `a` to `b`. */
  readonly aToB: DirectionTotals;
  /** Traffic from `b` to `a`. */
  readonly bToA: DirectionTotals;
  /** Time of the first packet. */
  firstUs: number;
  /** Time of the latest packet. */
  lastUs: number;
  /** Order of creation (0-based), the deterministic sort key. */
  readonly order: number;
  /** Session object (core shape); its counters are live. */
  readonly session: Session;
  /** The capture pipeline's per-flow decode state (undefined until it decodes a datagram of the flow); nothing else reads it. */
  decodeState: unknown;
}

/** What {@link FlowTable.observe} tells about one packet. */
export interface FlowObservation {
  /** The flow/session of the packet (undefined when the table is full). */
  entry: FlowEntry | undefined;
  /** Direction of this packet within the session. */
  direction: Direction;
  /** True when the packet created the flow. */
  isNew: boolean;
}

/** Two 16-bit ports packed in one int32 (a small-integer Map key). */
function portPairKey(firstPort: number, secondPort: number): number {
  return ((firstPort << 16) | secondPort) | 0;
}

/** Slots of the flow table's direct-mapped cache of recent flows (see {@link FlowTable.observe}). */
const RECENT_FLOW_SLOTS = 1024;

/** The recent-flow slot of a port pair: the same for both directions (a multiplicative hash of the sorted pair, top 10 bits). */
function recentFlowSlot(firstPort: number, secondPort: number): number {
  const pair = firstPort < secondPort ? (firstPort << 16) | secondPort : (secondPort << 16) | firstPort;
  return Math.imul(pair, 0x9e3779b1) >>> 22;
}

/** Lowest port of the OS ephemeral ranges: Linux 32768-60999, IANA/Windows/macOS 49152-65535. */
export const EPHEMERAL_PORT_START = 32768;

/**
 * Bidirectional flow table and session tracker. Counts packets and bytes per
 * direction like tshark's conversation table (`a` = first sender, bytes =
 * frame lengths, a reassembled datagram once with its last frame's length)
 * and assigns client/server roles. Memory is bounded by `maxFlows`.
 */
export class FlowTable {
  /** Packets of new flows that were not tracked because the table was full. */
  untrackedPackets = 0;
  /** Flows in creation order. */
  private readonly ordered: FlowEntry[] = [];
  /**
   * Flows by the (a port, b port) pair they were created with, packed in one
   * int32 (a Smi key: no string is built per packet); the few flows sharing a
   * port pair are told apart by transport and addresses.
   */
  private readonly byPorts = new Map<number, FlowEntry[]>();
  private readonly serverPorts: ReadonlySet<number>;
  private readonly isDefinitionServerPort: ((port: number) => boolean) | undefined;
  private readonly captureStartWindowUs: number;
  private readonly sessionCountsByCaller: boolean;
  /** Sessions each endpoint serves (`transport|address|port`), the fan-in evidence. */
  private readonly servedSessions = new Map<string, number>();
  private captureStartUs = Number.NaN;
  private readonly maxFlows: number;
  /**
   * Direct-mapped cache of recent flows, by the slot of their port pair (both
   * directions share a slot): the flows of a capture's interleaved conversations
   * are found with one array load and the field compares, without the two Map
   * lookups of {@link FlowTable.find}.
   */
  private readonly recent: (FlowEntry | undefined)[] = new Array<FlowEntry | undefined>(RECENT_FLOW_SLOTS).fill(undefined);
  private readonly observation: FlowObservation = { entry: undefined, direction: "clientToServer", isNew: false };

  constructor(options: FlowTableOptions = {}) {
    this.serverPorts = new Set(options.serverPorts ?? []);
    this.isDefinitionServerPort = options.isDefinitionServerPort;
    this.captureStartWindowUs = options.captureStartWindowUs ?? 1_000_000;
    this.sessionCountsByCaller = options.sessionCountsByCaller ?? false;
    this.maxFlows = options.maxFlows ?? 250_000;
  }

  /** Flows tracked. */
  get size(): number {
    return this.ordered.length;
  }

  /**
   * Counts one packet and returns its flow and direction. The returned
   * observation object is reused by the next call.
   */
  observe(packet: Packet & { lastFrameWireLength?: number }): FlowObservation {
    const observation = this.observation;
    const bytes = packet.lastFrameWireLength ?? packet.wireLength;
    const source = packet.sourceAddress;
    const sourcePort = packet.sourcePort;
    const destination = packet.destinationAddress;
    const destinationPort = packet.destinationPort;
    if (this.captureStartUs !== this.captureStartUs) this.captureStartUs = packet.tUs;
    const transport = packet.transport;
    const slot = recentFlowSlot(sourcePort, destinationPort);
    let entry = this.recent[slot];
    let fromA: boolean;
    if (
      entry !== undefined &&
      entry.transport === transport &&
      entry.aPort === sourcePort &&
      entry.bPort === destinationPort &&
      entry.aAddress === source &&
      entry.bAddress === destination
    ) {
      fromA = true;
      observation.isNew = false;
    } else if (
      entry !== undefined &&
      entry.transport === transport &&
      entry.bPort === sourcePort &&
      entry.aPort === destinationPort &&
      entry.bAddress === source &&
      entry.aAddress === destination
    ) {
      fromA = false;
      observation.isNew = false;
    } else {
      entry = this.find(transport, source, sourcePort, destination, destinationPort);
      if (entry === undefined) {
        if (this.ordered.length >= this.maxFlows) {
          this.untrackedPackets += 1;
          observation.entry = undefined;
          observation.isNew = false;
          observation.direction = "clientToServer";
          return observation;
        }
        entry = this.create(packet);
        this.ordered.push(entry);
        const key = portPairKey(sourcePort, destinationPort);
        const list = this.byPorts.get(key);
        if (list === undefined) this.byPorts.set(key, [entry]);
        else list.push(entry);
        observation.isNew = true;
      } else {
        observation.isNew = false;
      }
      fromA = entry.aAddress === source && entry.aPort === sourcePort;
      this.recent[slot] = entry;
    }
    const totals = fromA ? entry.aToB : entry.bToA;
    totals.packets += 1;
    totals.bytes += bytes;
    if (packet.tUs > entry.lastUs) entry.lastUs = packet.tUs;
    if (packet.tUs < entry.firstUs) entry.firstUs = packet.tUs;
    const clientSent = fromA === entry.aIsClient;
    const direction: Direction = clientSent ? "clientToServer" : "serverToClient";
    if (!this.sessionCountsByCaller) this.countInSession(entry, direction, bytes, packet.tUs);
    observation.entry = entry;
    observation.direction = direction;
    return observation;
  }

  /**
   * Counts one datagram in the flow's session (packets, bytes, first/last
   * time). {@link FlowTable.observe} does this itself unless
   * `sessionCountsByCaller` is set; then only what the caller passes counts.
   */
  countInSession(entry: FlowEntry, direction: Direction, bytes: number, tUs: number): void {
    const session = entry.session;
    const sessionTotals = direction === "clientToServer" ? session.clientToServer : session.serverToClient;
    if (this.sessionCountsByCaller && session.clientToServer.packets === 0 && session.serverToClient.packets === 0) {
      session.firstUs = tUs;
      session.lastUs = tUs;
    }
    if (tUs > session.lastUs) session.lastUs = tUs;
    if (tUs < session.firstUs) session.firstUs = tUs;
    sessionTotals.packets += 1;
    sessionTotals.bytes += bytes;
  }

  /** The flow of a packet in either direction, if tracked. */
  private find(transport: Transport, source: string, sourcePort: number, destination: string, destinationPort: number): FlowEntry | undefined {
    const forward = this.byPorts.get(portPairKey(sourcePort, destinationPort));
    if (forward !== undefined) {
      for (let index = 0; index < forward.length; index++) {
        const entry = forward[index];
        if (entry.transport === transport && entry.aPort === sourcePort && entry.bPort === destinationPort && entry.aAddress === source && entry.bAddress === destination) return entry;
      }
    }
    const reverse = this.byPorts.get(portPairKey(destinationPort, sourcePort));
    if (reverse !== undefined) {
      for (let index = 0; index < reverse.length; index++) {
        const entry = reverse[index];
        if (entry.transport === transport && entry.aPort === destinationPort && entry.bPort === sourcePort && entry.aAddress === destination && entry.bAddress === source) return entry;
      }
    }
    return undefined;
  }

  private create(packet: Packet): FlowEntry {
    const sourceKey = `${packet.transport}|${packet.sourceAddress}|${packet.sourcePort}`;
    const destinationKey = `${packet.transport}|${packet.destinationAddress}|${packet.destinationPort}`;
    const decision = decideServer({
      sourcePort: packet.sourcePort,
      destinationPort: packet.destinationPort,
      serverPorts: this.serverPorts,
      isDefinitionServerPort: this.isDefinitionServerPort,
      sourceServedSessions: this.servedSessions.get(sourceKey) ?? 0,
      destinationServedSessions: this.servedSessions.get(destinationKey) ?? 0,
      atCaptureStart: packet.tUs - this.captureStartUs < this.captureStartWindowUs,
    });
    const aIsClient = decision.sourceIsClient;
    const serverKey = aIsClient ? destinationKey : sourceKey;
    this.servedSessions.set(serverKey, (this.servedSessions.get(serverKey) ?? 0) + 1);
    const client = aIsClient
      ? { address: packet.sourceAddress, port: packet.sourcePort }
      : { address: packet.destinationAddress, port: packet.destinationPort };
    const server = aIsClient
      ? { address: packet.destinationAddress, port: packet.destinationPort }
      : { address: packet.sourceAddress, port: packet.sourcePort };
    const id = `${packet.transport}:${formatAddressPort(client.address, client.port)}-${formatAddressPort(server.address, server.port)}`;
    return {
      id,
      transport: packet.transport,
      aAddress: packet.sourceAddress,
      aPort: packet.sourcePort,
      bAddress: packet.destinationAddress,
      bPort: packet.destinationPort,
      aIsClient,
      serverRule: decision.rule,
      traffic: {
        excludedBy: undefined,
        accepted: false,
        matchedDatagrams: 0,
        generation: 0,
        gamePackets: 0,
        otherPackets: 0,
        otherBytes: 0,
        otherReason: undefined,
      },
      aToB: { packets: 0, bytes: 0 },
      bToA: { packets: 0, bytes: 0 },
      firstUs: packet.tUs,
      lastUs: packet.tUs,
      order: this.ordered.length,
      session: {
        id,
        transport: packet.transport,
        client,
        server,
        firstUs: packet.tUs,
        lastUs: packet.tUs,
        clientToServer: { packets: 0, bytes: 0 },
        serverToClient: { packets: 0, bytes: 0 },
        serverRule: decision.rule,
      },
      decodeState: undefined,
    };
  }

  /** Every flow entry in creation order. */
  entriesInOrder(): FlowEntry[] {
    return [...this.ordered];
  }

  /** Flows in the core {@link Flow} shape (plain copies), in order of first packet. */
  flows(): Flow[] {
    return this.entriesInOrder().map((entry) => ({
      transport: entry.transport,
      a: formatAddressPort(entry.aAddress, entry.aPort),
      b: formatAddressPort(entry.bAddress, entry.bPort),
      aToB: { ...entry.aToB },
      bToA: { ...entry.bToA },
      firstUs: entry.firstUs,
      lastUs: entry.lastUs,
      server: entry.aIsClient ? formatAddressPort(entry.bAddress, entry.bPort) : formatAddressPort(entry.aAddress, entry.aPort),
      serverRule: entry.serverRule,
    }));
  }

  /** Sessions in the core {@link Session} shape (plain copies), in order of first packet. */
  sessions(): Session[] {
    return this.entriesInOrder().map((entry) => ({
      ...entry.session,
      client: { ...entry.session.client },
      server: { ...entry.session.server },
      clientToServer: { ...entry.session.clientToServer },
      serverToClient: { ...entry.session.serverToClient },
    }));
  }
}

/** Evidence {@link decideServer} weighs for one new flow. */
export interface ServerEvidence {
  /** Port of the endpoint that sent the flow's first datagram. */
  sourcePort: number;
  /** Port of the other endpoint. */
  destinationPort: number;
  /** `--server-port` ports. */
  serverPorts: ReadonlySet<number>;
  /** The definition's server ports. */
  isDefinitionServerPort?: (port: number) => boolean;
  /** Sessions the first sender already serves (fan-in). */
  sourceServedSessions: number;
  /** Sessions the other endpoint already serves (fan-in). */
  destinationServedSessions: number;
  /** The flow's first datagram came right after the capture began (the flow may be older). */
  atCaptureStart: boolean;
}

/** Which side of a new flow is the client, and which rule decided. */
export interface ServerDecision {
  /** True when the first sender is the client. */
  sourceIsClient: boolean;
  /** The rule that decided. */
  rule: ServerRule;
}

/**
 * Decides the server side of a new flow from evidence, strongest first:
 * `--server-port`; the definition's ports; fan-in (the endpoint that already
 * serves more sessions); the first datagram (clients initiate) when the capture
 * saw the flow begin; an OS ephemeral port (≥ 32768) on exactly one side is the
 * client; else the first sender of a flow already running when the capture began.
 */
export function decideServer(evidence: ServerEvidence): ServerDecision {
  const { sourcePort, destinationPort, serverPorts } = evidence;
  const sourceListed = serverPorts.has(sourcePort);
  const destinationListed = serverPorts.has(destinationPort);
  if (sourceListed !== destinationListed) return { sourceIsClient: destinationListed, rule: "serverPort" };
  const isDefinitionPort = evidence.isDefinitionServerPort;
  if (isDefinitionPort !== undefined) {
    const sourceDefined = isDefinitionPort(sourcePort);
    const destinationDefined = isDefinitionPort(destinationPort);
    if (sourceDefined !== destinationDefined) return { sourceIsClient: destinationDefined, rule: "definitionPort" };
  }
  if (evidence.sourceServedSessions !== evidence.destinationServedSessions) {
    return { sourceIsClient: evidence.destinationServedSessions > evidence.sourceServedSessions, rule: "fanIn" };
  }
  if (!evidence.atCaptureStart) return { sourceIsClient: true, rule: "firstDatagram" };
  const sourceEphemeral = sourcePort >= EPHEMERAL_PORT_START;
  const destinationEphemeral = destinationPort >= EPHEMERAL_PORT_START;
  if (sourceEphemeral !== destinationEphemeral) return { sourceIsClient: sourceEphemeral, rule: "ephemeralPort" };
  return { sourceIsClient: true, rule: "firstDatagramAtCaptureStart" };
}
