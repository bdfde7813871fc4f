import { Type } from "@sinclair/typebox";
import { decodeSerial, encodeSerial, type EncodedSerial, type SerialNumber } from "@tickscope/core";

// The float and serial encodings of saved state are core's (saved-state-values.ts), shared with the loss analysis.
export {
  decodeFloat,
  decodeFloats,
  decodeSerial,
  EncodedFloatSchema,
  EncodedSerialSchema,
  encodeFloat,
  encodeFloats,
  encodeSerial,
  type EncodedFloat,
  type EncodedSerial,
} from "@tickscope/core";

/** A packet index in saved state (−1: none yet). */
export const PacketIndexSchema = Type.Integer({ minimum: -1 });

/** Packet indices kept as evidence (at most 12, as the detectors keep). */
export const EvidencePacketsSchema = Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 12 });

/** A non-negative integer count. */
export const CountSchema = Type.Integer({ minimum: 0 });

/** Encodes an optional serial number (`null` when absent). */
export function encodeOptionalSerial(value: SerialNumber | undefined): EncodedSerial | null {
  return value === undefined ? null : encodeSerial(value);
}

/** Decodes an optional serial number saved by {@link encodeOptionalSerial}. */
export function decodeOptionalSerial(value: EncodedSerial | null): SerialNumber | undefined {
  return value === null ? undefined : decodeSerial(value);
}

/** Moves a saved packet index by `offset` (−1, "none", stays −1). */
export function placePacketIndex(packetIndex: number, offset: number): number {
  return packetIndex < 0 ? packetIndex : packetIndex + offset;
}

/** Moves saved evidence packet indices by `offset`. */
export function placePacketIndices(packetIndices: readonly number[], offset: number): number[] {
  return packetIndices.map((packetIndex) => packetIndex + offset);
}
