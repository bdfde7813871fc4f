import type { FieldRecord, FieldValue } from "@tickscope/core";

/**
 * Quantization of one leaf field: the value is sent as the integer
 * `round((value − min) / step)`, clamped to `[0, 2^bits − 1]`, and decoded as
 * `min + integer × step`. With `step = 1` and integer values it is a lossless
 * narrowing of an integer field.
 */
export interface QuantizationSpec {
  /** Lowest representable value. */
  min: number;
  /** Distance between two representable values (maximum error is `step / 2` inside the range). */
  step: number;
  /** Bits per value (1–53). */
  bits: number;
}

/** Delta encoding against a baseline message the receiver already has. */
export interface DeltaSpec {
  /**
   * Bits spent per message to name the baseline (e.g. 16 for a baseline
   * sequence number). 0 when sender and receiver agree implicitly.
   */
  baselineReferenceBits: number;
}

/**
 * Smallest-three encoding of a unit quaternion struct: 2 bits naming the
 * largest component, the other three quantized in [−1/√2, 1/√2].
 */
export interface SmallestThreeSpec {
  /** The struct's four component field names, in order. */
  fields: readonly [string, string, string, string];
  /** Bits per sent component. */
  bits: number;
}

/** A change to how messages are encoded; the empty variant is the original encoding. */
export interface EncodingVariant {
  /** Quantization per leaf path (e.g. `entities[].position.x`). */
  quantize?: ReadonlyMap<string, QuantizationSpec>;
  /** Smallest-three encoding per quaternion struct path (e.g. `cubes[].orientation`). */
  smallestThree?: ReadonlyMap<string, SmallestThreeSpec>;
  /** Delta encoding: unchanged leaves and unchanged structs cost one bit. */
  delta?: DeltaSpec;
}

/** Value kind of a leaf field. */
export type LeafKind = "uint" | "int" | "float32" | "float64" | "quantized" | "bool" | "bytes";

/** One leaf field of a message type, as the re-encoder encodes it originally. */
export interface LeafDescription {
  /** Path, arrays marked `[]`: `entities[].position.x`. */
  path: string;
  /** Value kind. */
  kind: LeafKind;
  /** Encoded width in bits (for `bytes`: the length prefix only). */
  bits: number;
  /** For `quantized` leaves: the original quantization. */
  quantization?: QuantizationSpec;
}

/** A top-level array of entities in a message type (for interest management). */
export interface EntityArrayDescription {
  /** Top-level field name of the array. */
  field: string;
  /** Element field holding the entity id; absent when the index is the id. */
  keyField?: string;
}

/**
 * Called for each leaf of a message by {@link Reencoder.visitLeaves}: its
 * path, encoded width, whether it changed since the previous message, its value,
 * and (when the re-encoder knows it) the index in {@link Reencoder.leaves} of the
 * type's first leaf with this path — a visitor may keep per-leaf state in arrays
 * indexed by it instead of looking the path up.
 */
export type LeafVisitor = (path: string, bits: number, changed: boolean, value: FieldValue | undefined, leafIndex?: number) => void;

/**
 * Re-encodes decoded messages with a changed encoding so savings are measured,
 * not guessed. Implemented in this package by {@link LayoutReencoder} (a small
 * bit-level layout language); an adapter over `@tickscope/core/protocol`
 * implements the same interface.
 */
export interface Reencoder {
  /** Message types the re-encoder knows, sorted. */
  messageTypes(): string[];
  /** Leaves of a message type, or `undefined` when the type is unknown. */
  leaves(type: string): readonly LeafDescription[] | undefined;
  /** Entity arrays of a message type (empty when none). */
  entityArrays(type: string): readonly EntityArrayDescription[];
  /**
   * Visits every leaf of a message with its encoded width and whether it
   * differs (in the original encoding) from `previous` (`true` when there is no
   * previous). Returns false when the type is unknown.
   */
  visitLeaves(type: string, fields: FieldRecord, previous: FieldRecord | undefined, visitor: LeafVisitor): boolean;
  /**
   * Encodes a message with a variant. With `variant.delta`, `baseline` is the
   * message the receiver holds (undefined: no baseline, full encoding). The
   * returned view is valid until the next call.
   */
  encode(type: string, fields: FieldRecord, variant: EncodingVariant, baseline?: FieldRecord): Uint8Array;
  /**
   * Optional: the byte length {@link Reencoder.encode} would return for the same
   * arguments (and the same errors), without writing the bytes. The trials use it
   * when only sizes are needed.
   */
  encodedLength?(type: string, fields: FieldRecord, variant: EncodingVariant, baseline?: FieldRecord): number;
  /** Decodes what {@link Reencoder.encode} wrote; `baseline` is the receiver's decoded baseline. */
  decode(type: string, bytes: Uint8Array, variant: EncodingVariant, baseline?: FieldRecord): FieldRecord;
}
