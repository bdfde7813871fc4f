import { formatAddressPort, type Direction, type Flow, type Packet, type Session, type Transport } from "@tickscope/core";

/** Options of a {@link FlowTable}. */
export interface FlowTableOptions {
  /**
   * Ports that identify the server side of a session. Without a match, the
   * well-known (< 1024) or else lower port is the server, unless both ports are
   * ephemeral (≥ 49152) or equal, in which case the first sender is the client.
   */
  serverPorts?: readonly number[];
  /** Flows kept at most (bounded memory, ~0.5 KB each); packets of further new flows are not tracked (`untrackedPackets`). Default 250,000. */
  maxFlows?: number;
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

const WELL_KNOWN_LIMIT = 1024;

/** Two 16-bit ports packed in one int32 (a small-integer Map key). */
function portPairKey(firstPort: number, secondPort: number): number {
  return ((firstPort << 16) | secondPort) | 0;
}
const EPHEMERAL_START = 49152;

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
  private readonly maxFlows: number;
  private last: FlowEntry | undefined;
  private readonly observation: FlowObservation = { entry: undefined, direction: "clientToServer", isNew: false };

  constructor(options: FlowTableOptions = {}) {
    this.serverPorts = new Set(options.serverPorts ?? []);
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
    let entry = this.last;
    let fromA: boolean;
    if (
      entry !== undefined &&
      entry.transport === packet.transport &&
      ((entry.aPort === sourcePort && entry.bPort === destinationPort && entry.aAddress === source && entry.bAddress === destination) ||
        (entry.bPort === sourcePort && entry.aPort === destinationPort && entry.bAddress === source && entry.aAddress === destination))
    ) {
      fromA = entry.aAddress === source && entry.aPort === sourcePort;
      observation.isNew = false;
    } else {
      entry = this.find(packet.transport, source, sourcePort, destination, destinationPort);
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
      this.last = entry;
    }
    const totals = fromA ? entry.aToB : entry.bToA;
    totals.packets += 1;
    totals.bytes += bytes;
    if (packet.tUs > entry.lastUs) entry.lastUs = packet.tUs;
    if (packet.tUs < entry.firstUs) entry.firstUs = packet.tUs;
    const session = entry.session;
    if (packet.tUs > session.lastUs) session.lastUs = packet.tUs;
    if (packet.tUs < session.firstUs) session.firstUs = packet.tUs;
    const clientSent = fromA === entry.aIsClient;
    const sessionTotals = clientSent ? session.clientToServer : session.serverToClient;
    sessionTotals.packets += 1;
    sessionTotals.bytes += bytes;
    observation.entry = entry;
    observation.direction = clientSent ? "clientToServer" : "serverToClient";
    return observation;
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
    const aIsClient = isClientSide(packet.sourcePort, packet.destinationPort, this.serverPorts);
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
      },
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

/**
 * Decides whether the sender of a flow's first packet is the client, from its
 * source and destination ports: configured server ports first, then the
 * well-known (< 1024) port, then the lower port (unless both are ephemeral,
 * ≥ 49152), else the first sender is the client.
 */
export function isClientSide(sourcePort: number, destinationPort: number, serverPorts: ReadonlySet<number>): boolean {
  const sourceListed = serverPorts.has(sourcePort);
  const destinationListed = serverPorts.has(destinationPort);
  if (sourceListed !== destinationListed) return destinationListed;
  if (sourcePort === destinationPort) return true;
  const sourceWellKnown = sourcePort < WELL_KNOWN_LIMIT;
  const destinationWellKnown = destinationPort < WELL_KNOWN_LIMIT;
  if (sourceWellKnown !== destinationWellKnown) return destinationWellKnown;
  if (sourcePort >= EPHEMERAL_START && destinationPort >= EPHEMERAL_START) return true;
  return destinationPort < sourcePort;
}
