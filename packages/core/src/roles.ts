/**
 * Semantic roles: what a decoded field *means*, so analyzers work on any game's
 * protocol without knowing it. A protocol definition tags fields with these
 * names; the decoder collects the tagged values into {@link MessageRoles}.
 */
export const ROLE_NAMES = [
  "sequence",
  "ack",
  "ackBits",
  "ackChannel",
  "ackDelay",
  "messageType",
  "channel",
  "reliable",
  "resendCount",
  "sendTime",
  "echoTime",
  "echoId",
  "tick",
  "playerId",
  "entityId",
  "position.x",
  "position.y",
  "position.z",
  "rotation",
  "velocity.x",
  "velocity.y",
  "velocity.z",
  "inputSequence",
  "reportedRtt",
  "targetTime",
  "checksum",
  "mac",
  "sessionId",
] as const;

/** One semantic role name. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** A 3D vector in game units. */
export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/** Roles of one entity inside a message (e.g. one entry of a snapshot's entity array). */
export interface EntityRoles {
  entityId: number;
  position?: Vector3;
  velocity?: Vector3;
  /** Rotation as the definition gives it (angle in radians, or a quaternion's components). */
  rotation?: number | readonly number[];
}

/**
 * Role values found in one decoded message, normalized: times in µs, RTT in ms.
 * Absent roles are `undefined`. Values are numbers (64-bit fields beyond 2^53
 * lose precision only in these role copies, never in `fields`).
 */
export interface MessageRoles {
  /** Packet/message sequence number in its sequence space (see `channel`). */
  sequence?: number;
  /** Bit width of the sequence field (for wrap-around), e.g. 16. */
  sequenceBits?: number;
  /** Highest sequence number of the peer acknowledged by this message. */
  ack?: number;
  /** Bitfield: bit i set ⇒ `ack - 1 - i` was also received. */
  ackBits?: number;
  /** Number of valid bits in `ackBits`. */
  ackBitsWidth?: number;
  /**
   * Channel (sequence space) whose sequences `ack`/`ackBits` acknowledge, when
   * it is not the message's own `channel` (a control-channel ack of a data
   * channel): from an `ackChannel` field or the message's `ackChannel` property.
   */
  ackChannel?: number | string;
  /** How long the peer held the acknowledged sequence before sending this ack, µs (`ackDelay` role). */
  ackDelayUs?: number;
  /** Logical channel (sequence space) the message belongs to. */
  channel?: number | string;
  /** True when the message is sent reliably (retransmitted until acked). */
  reliable?: boolean;
  /** How many times this message was re-sent (0 = first transmission). */
  resendCount?: number;
  /** Sender's clock at send time, µs (in the sender's clock domain). */
  sendTimeUs?: number;
  /**
   * Key that pairs a request with its echo (ping/pong, time sync): the echoed
   * time or id value, as a string so 64-bit values compare exactly.
   */
  echoKey?: string;
  /** Whether this message asks for an echo (`request`) or answers one (`reply`). */
  echoPhase?: "request" | "reply";
  /** Simulation tick. */
  tick?: number;
  /** Player identifier. */
  playerId?: number;
  /** Entity identifier when the message concerns one entity. */
  entityId?: number;
  /** Position of the message's own entity. */
  position?: Vector3;
  /** Velocity of the message's own entity. */
  velocity?: Vector3;
  /** Rotation of the message's own entity. */
  rotation?: number | readonly number[];
  /** Entities carried by the message (snapshots), each with its own roles. */
  entities?: readonly EntityRoles[];
  /** Client input sequence number (highest input carried). */
  inputSequence?: number;
  /** How many inputs the message carries (redundancy: the last N inputs). */
  inputCount?: number;
  /** RTT the client reports it measures, ms. */
  reportedRttMs?: number;
  /** Time the client asks the server to rewind to (lag compensation), µs in the sender's clock. */
  targetTimeUs?: number;
  /** Checksum value carried by the message. */
  checksum?: number;
  /** True when the message carried a MAC or AEAD tag that verified. */
  authenticated?: boolean;
  /** Protocol-level session id. */
  sessionId?: string;
}
