import { Type, type Static } from "@sinclair/typebox";
import type { MessageRoles } from "./roles.js";
import { DirectionSchema, type Direction } from "./session.js";
import { TimeUsSchema, type TimeUs } from "./time.js";

/** A decoded field value: numbers, bigints (64-bit), booleans, strings, bytes, structs, arrays. */
export type FieldValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | null
  | readonly FieldValue[]
  | { readonly [field: string]: FieldValue };

/** Decoded fields of a message, by field name. */
export type FieldRecord = { [field: string]: FieldValue };

/**
 * One decoded game message, in capture time order. A datagram may carry several
 * messages; they share `packetIndex` and `tUs`.
 */
export interface GameMessage {
  /** Session id (see {@link Session}). */
  sessionId: string;
  /** Direction within the session. */
  direction: Direction;
  /** Capture time, µs since the Unix epoch. */
  tUs: TimeUs;
  /** Index of the packet (datagram) in the capture. */
  packetIndex: number;
  /** Position of this message within its datagram (0-based). */
  indexInPacket: number;
  /** Message type name from the definition (e.g. `snapshot`, `timeSyncRequest`). */
  type: string;
  /** Bytes this message occupies in the datagram (after framing, before decryption overhead removal). */
  byteLength: number;
  /** Wire length of the whole frame(s) that carried the datagram (IP+UDP+link headers included). */
  packetWireLength: number;
  /** Decoded fields. */
  fields: FieldRecord;
  /** Semantic role values found in the message. */
  roles: MessageRoles;
}

/** TypeBox schema of a game message as written to NDJSON (`tickscope decode`). */
export const GameMessageRecordSchema = Type.Object({
  kind: Type.Optional(Type.Literal("message", { description: "tells message records from `anomaly` records in the same stream" })),
  session: Type.String(),
  direction: DirectionSchema,
  tUs: TimeUsSchema,
  frameNumber: Type.Optional(Type.Integer({ minimum: 1, description: "Wireshark frame number of the packet (1-based)" })),
  packetIndex: Type.Integer({ minimum: 0, description: "0-based index of the packet in its capture (frameNumber − 1)" }),
  type: Type.String(),
  bytes: Type.Integer({ minimum: 0 }),
  fields: Type.Record(Type.String(), Type.Unknown()),
});

/** A game message as written to NDJSON. */
export type GameMessageRecord = Static<typeof GameMessageRecordSchema>;
