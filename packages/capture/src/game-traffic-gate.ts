import {
  compareByBytes,
  emptyOtherTraffic,
  formatAddressPort,
  OTHER_TRAFFIC_LIST_LIMITS,
  type Direction,
  type OtherTraffic,
  type OtherTrafficFlow,
  type OtherTrafficPort,
  type OtherTrafficReason,
  type Transport,
} from "@tickscope/core";
import type { TrafficMatch } from "@tickscope/core/protocol";
import type { FlowEntry } from "./flow-table.js";

/** The parts of a packet the gate hands on (a captured packet, or a held copy of one). */
export interface GatedPacket {
  /** Capture time, µs. */
  tUs: number;
  /** Transport. */
  transport: Transport;
  /** Wire length of the (last) frame. */
  wireLength: number;
  /** Frame bytes counted for the packet (the last frame's, for a reassembled datagram). */
  lastFrameWireLength?: number;
  /** Frames the datagram was reassembled from. */
  frameCount: number;
  /** Transport payload (a view of the read buffer, or a copy when held). */
  payload: Uint8Array;
  /** Capture interface of the (last) frame (0 for pcap). */
  interfaceId?: number;
  /** IP identification (-1 when none): see `CapturedPacket.ipIdentification`. */
  ipIdentification?: number;
}

/** Receives the game's packets, in capture order. */
export type GatedPacketHandler = (packet: GatedPacket, entry: FlowEntry, direction: Direction, packetIndex: number) => void;

/** Options of a {@link GameTrafficGate}. */
export interface GameTrafficGateOptions {
  /** The definition's match (ports, datagram conditions, acceptance); undefined: every UDP datagram matches. */
  match?: TrafficMatch;
  /** `--server-port`: only flows with an endpoint on one of these are the game's (the definition's ports are then not asked). */
  serverPorts?: readonly number[];
  /** Also hand on TCP packets (never decoded). Default false: TCP is other traffic. */
  includeTcp?: boolean;
  /** Receives every packet that is the game's. */
  deliver: GatedPacketHandler;
  /** Matching datagrams of a not yet accepted flow wait at most this long (capture time) before they expire as other traffic. Default 2 s. */
  holdWindowUs?: number;
  /** Most packets held at once (the oldest flow's wait ends early beyond it). Default 65,536. */
  maxHeldPackets?: number;
}

/** A packet copied while its flow waits for acceptance (or while older ones wait). */
interface HeldPacket extends GatedPacket {
  entry: FlowEntry;
  direction: Direction;
  packetIndex: number;
  generation: number;
}

/**
 * Decides, packet by packet, which traffic is the game's and hands exactly that
 * on, in capture order: flows on `--server-port` (else on the definition's
 * `match.ports`) and not on `match.excludePorts`; datagrams meeting the
 * definition's datagram conditions; and, like a Wireshark heuristic dissector,
 * flows accepted once `match.acceptAfter` of their datagrams met the flow
 * conditions too (the earlier matching datagrams, and everything after them,
 * wait in a bounded, time-ordered queue until then; after that the flow
 * conditions no longer reject, so a forged magic on a game flow is decoded and
 * becomes a decode anomaly the anticheat sees). Everything else is counted as other traffic
 * (packets, bytes, per flow and server port) and never handed on: never
 * decoded, never a session of an analysis.
 */
export class GameTrafficGate {
  private readonly match: TrafficMatch | undefined;
  private readonly serverPorts: ReadonlySet<number>;
  private readonly includeTcp: boolean;
  private readonly deliver: GatedPacketHandler;
  private readonly acceptAfter: number;
  private readonly holdWindowUs: number;
  private readonly maxHeldPackets: number;
  private readonly held: HeldPacket[] = [];
  private heldStart = 0;
  private readonly byReason = new Map<OtherTrafficReason, { packets: number; bytes: number }>();
  private otherPackets = 0;
  private otherBytes = 0;

  constructor(options: GameTrafficGateOptions) {
    this.match = options.match;
    this.serverPorts = new Set(options.serverPorts ?? []);
    this.includeTcp = options.includeTcp ?? false;
    this.deliver = options.deliver;
    this.acceptAfter = options.match?.acceptAfter ?? 1;
    this.holdWindowUs = options.holdWindowUs ?? 2_000_000;
    this.maxHeldPackets = options.maxHeldPackets ?? 65_536;
  }

  /** Decides the flow-level verdict of a new flow (ports). Called once per flow, before its first packet is offered. */
  classifyFlow(entry: FlowEntry): void {
    const state = entry.traffic;
    if (this.serverPorts.size > 0) {
      if (!this.serverPorts.has(entry.aPort) && !this.serverPorts.has(entry.bPort)) state.excludedBy = "serverPort";
      return;
    }
    const match = this.match;
    if (match === undefined) return;
    if (match.isExcludedPort(entry.aPort) || match.isExcludedPort(entry.bPort)) state.excludedBy = "excludedPort";
    else if (match.hasServerPorts && !match.isServerPort(entry.aPort) && !match.isServerPort(entry.bPort)) state.excludedBy = "definitionPort";
  }

  /** Offers one packet of a tracked flow: handed on now, held, or counted as other traffic. */
  offer(packet: GatedPacket, entry: FlowEntry, direction: Direction, packetIndex: number): void {
    const state = entry.traffic;
    const bytes = packet.lastFrameWireLength ?? packet.wireLength;
    if (packet.transport !== "udp" && !(this.includeTcp && packet.transport === "tcp")) {
      this.countOther(entry, bytes, "transport");
      return;
    }
    if (state.excludedBy !== undefined) {
      this.countOther(entry, bytes, state.excludedBy);
      return;
    }
    if (packet.transport !== "udp") {
      // TCP (with includeTcp): never decoded, so the definition's datagram match and acceptance do not apply.
      state.accepted = true;
    } else if (this.match !== undefined && !this.match.matchesDatagram(packet.payload)) {
      this.countOther(entry, bytes, "datagramMatch");
      return;
    }
    let justAccepted = false;
    if (!state.accepted) {
      if (this.match !== undefined && !this.match.matchesFlow(packet.payload)) {
        this.countOther(entry, bytes, "flowMatch");
        return;
      }
      state.matchedDatagrams += 1;
      if (state.matchedDatagrams >= this.acceptAfter) {
        state.accepted = true;
        justAccepted = true;
      }
    }
    if (state.accepted && this.heldStart === this.held.length) {
      this.handOn(packet, entry, direction, packetIndex);
      return;
    }
    this.held.push({
      tUs: packet.tUs,
      transport: packet.transport,
      wireLength: packet.wireLength,
      lastFrameWireLength: bytes,
      frameCount: packet.frameCount,
      payload: packet.payload.slice(),
      interfaceId: packet.interfaceId,
      ipIdentification: packet.ipIdentification,
      entry,
      direction,
      packetIndex,
      generation: state.generation,
    });
    if (justAccepted) this.drain();
    this.expire(packet.tUs);
  }

  /** Ends every wait (end of the captures): held packets of unaccepted flows become other traffic. */
  finish(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }

  /** Packets currently held. */
  get heldPackets(): number {
    return this.held.length - this.heldStart;
  }

  /** The other traffic so far, from the flows' counters. */
  otherTraffic(entries: readonly FlowEntry[]): OtherTraffic {
    const other = emptyOtherTraffic();
    other.packets = this.otherPackets;
    other.bytes = this.otherBytes;
    other.byReason = Object.fromEntries([...this.byReason.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)).map(([reason, counters]) => [reason, { ...counters }]));
    const flows: OtherTrafficFlow[] = [];
    const ports = new Map<string, OtherTrafficPort>();
    for (const entry of entries) {
      const state = entry.traffic;
      if (state.otherPackets === 0) continue;
      other.flowCount += 1;
      const serverPort = entry.aIsClient ? entry.bPort : entry.aPort;
      flows.push({
        transport: entry.transport,
        a: formatAddressPort(entry.aAddress, entry.aPort),
        b: formatAddressPort(entry.bAddress, entry.bPort),
        server: entry.aIsClient ? formatAddressPort(entry.bAddress, entry.bPort) : formatAddressPort(entry.aAddress, entry.aPort),
        serverRule: entry.serverRule,
        reason: state.otherReason ?? "datagramMatch",
        packets: state.otherPackets,
        bytes: state.otherBytes,
        gamePackets: state.gamePackets,
      });
      const key = `${entry.transport}:${serverPort}`;
      const port = ports.get(key);
      if (port === undefined) ports.set(key, { transport: entry.transport, port: serverPort, flows: 1, packets: state.otherPackets, bytes: state.otherBytes });
      else {
        port.flows += 1;
        port.packets += state.otherPackets;
        port.bytes += state.otherBytes;
      }
    }
    other.flows = flows.sort(compareByBytes).slice(0, OTHER_TRAFFIC_LIST_LIMITS.flows);
    other.ports = [...ports.values()].sort(compareByBytes).slice(0, OTHER_TRAFFIC_LIST_LIMITS.ports);
    return other;
  }

  private handOn(packet: GatedPacket, entry: FlowEntry, direction: Direction, packetIndex: number): void {
    entry.traffic.gamePackets += 1;
    this.deliver(packet, entry, direction, packetIndex);
  }

  private countOther(entry: FlowEntry, bytes: number, reason: OtherTrafficReason): void {
    const state = entry.traffic;
    state.otherPackets += 1;
    state.otherBytes += bytes;
    if (state.otherReason === undefined) state.otherReason = reason;
    this.otherPackets += 1;
    this.otherBytes += bytes;
    let counters = this.byReason.get(reason);
    if (counters === undefined) {
      counters = { packets: 0, bytes: 0 };
      this.byReason.set(reason, counters);
    }
    counters.packets += 1;
    counters.bytes += bytes;
  }

  /** Hands on held packets from the front while their flows are decided. */
  private drain(): void {
    const held = this.held;
    while (this.heldStart < held.length) {
      const head = held[this.heldStart];
      const state = head.entry.traffic;
      if (head.generation !== state.generation) {
        this.countOther(head.entry, head.lastFrameWireLength ?? head.wireLength, "notAccepted");
      } else if (state.accepted) {
        this.handOn(head, head.entry, head.direction, head.packetIndex);
      } else {
        break;
      }
      held[this.heldStart] = undefined as unknown as HeldPacket;
      this.heldStart += 1;
    }
    if (this.heldStart === held.length) {
      held.length = 0;
      this.heldStart = 0;
    } else if (this.heldStart > 4096 && this.heldStart * 2 > held.length) {
      held.splice(0, this.heldStart);
      this.heldStart = 0;
    }
  }

  /** Ends the wait of the flow at the front while it has waited too long (or too much is held). */
  private expire(nowUs: number): void {
    while (this.heldStart < this.held.length) {
      const head = this.held[this.heldStart];
      const state = head.entry.traffic;
      const waited = nowUs - head.tUs > this.holdWindowUs || this.held.length - this.heldStart > this.maxHeldPackets;
      if (!waited) return;
      if (!state.accepted && head.generation === state.generation) {
        // Not enough matching datagrams in time: what it held is not the game's; its count starts again.
        state.generation += 1;
        state.matchedDatagrams = 0;
      }
      this.drain();
    }
  }
}
