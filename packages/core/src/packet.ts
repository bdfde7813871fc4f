import { Type, type Static } from "@sinclair/typebox";
import { TimeUsSchema, type TimeUs } from "./time.js";

/** Transport protocol of a packet. `other` covers IP packets that are neither UDP nor TCP. */
export const TransportSchema = Type.Union([Type.Literal("udp"), Type.Literal("tcp"), Type.Literal("other")]);

/** Transport protocol of a packet. */
export type Transport = Static<typeof TransportSchema>;

/**
 * One captured IP packet carrying UDP (or TCP) after link, IP and fragment
 * processing.
 *
 * Readers on the hot path may hand out the *same* object for every packet and
 * `payload` is a view into the read buffer: a consumer that keeps a packet past
 * the callback must copy what it keeps ({@link clonePacket}).
 */
export interface Packet {
  /** 0-based index of the (last) frame of this packet in its capture; frame number − 1. */
  index: number;
  /** Capture time of the (last) frame, µs since the Unix epoch. */
  tUs: TimeUs;
  /** Interface id within the capture (pcapng IDB index; 0 for pcap). */
  interfaceId: number;
  /** Link-layer type (LINKTYPE_* value) of the frame. */
  linkType: number;
  /** IP version, 4 or 6. */
  ipVersion: 4 | 6;
  /** Transport protocol. */
  transport: Transport;
  /** Source IP address (text form). */
  sourceAddress: string;
  /** Source port (0 when the transport has none). */
  sourcePort: number;
  /** Destination IP address (text form). */
  destinationAddress: string;
  /** Destination port (0 when the transport has none). */
  destinationPort: number;
  /** Frame length on the wire in bytes, summed over all frames of a reassembled datagram. */
  wireLength: number;
  /** Captured bytes of the frame(s) (less than `wireLength` when the snaplen cut it). */
  capturedLength: number;
  /** Number of link-layer frames this packet was reassembled from (1 when not fragmented). */
  frameCount: number;
  /** Transport payload (UDP payload, TCP segment data): a view, not a copy. */
  payload: Uint8Array;
}

/** Copies a packet, including its payload bytes, so it can be kept after the reader moves on. */
export function clonePacket(packet: Packet): Packet {
  return { ...packet, payload: packet.payload.slice() };
}

/** TypeBox schema of a packet's metadata as it appears in reports (no payload). */
export const PacketSummarySchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  tUs: TimeUsSchema,
  transport: TransportSchema,
  source: Type.String(),
  destination: Type.String(),
  wireLength: Type.Integer({ minimum: 0 }),
});

/** A packet's metadata as it appears in reports (no payload). */
export type PacketSummary = Static<typeof PacketSummarySchema>;
