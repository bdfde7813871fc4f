import type { SerialNumber } from "./serial-number.js";

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
  "reliableId",
  "aimYaw",
  "aimPitch",
] as const;

/** One semantic role name. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** A 3D vector in game units. */
export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/**
 * Roles of one entity inside a message (e.g. one entry of a snapshot's entity
 * array). Role builders give every entity all four properties (an absent role
 * is present and `undefined`): one object shape, one allocation per entity.
 */
export interface EntityRoles {
  entityId: number;
  position?: Vector3;
  velocity?: Vector3;
  /** Rotation as the definition gives it (angle in radians, or a quaternion's components). */
  rotation?: number | readonly number[];
}

/**
 * Roles of one element of an array whose elements carry roles but are not
 * entities — e.g. a redundant input array where each element has its own
 * `inputSequence`, `tick` and aim. Same properties and units as
 * {@link MessageRoles}, without nested element lists.
 */
export type ElementRoles = Omit<MessageRoles, "elements" | "entities">;

/**
 * Role values found in one decoded message, normalized: times in µs, RTT in ms.
 * Absent roles are `undefined`.
 *
 * **Counters are exact.** `sequence`, `ack`, `inputSequence` and `tick` are
 * {@link SerialNumber}s: a plain number while the wire value is a safe integer
 * (below 2^53), a `bigint` beyond (netcode starts its u64 sequence at 2^63; a
 * float there has lost its low bits). They keep the *wire* value; their field
 * width (`sequenceBits`, `inputSequenceBits`, `tickBits`) says where they
 * wrap. Compare, order and extend them only with core's serial-number
 * functions (`serialDifference`, `serialLessThan`, `SerialUnwrapper`,
 * `serialResidue` for ring keys, `serialNumberForReport` to print them): every
 * analysis extends sequences per its own sequence space (channel, message
 * type, acknowledged channel), so they are not unwrapped here.
 *
 * **Clocks are unwrapped once.** `sendTimeUs`, `targetTimeUs` and `tick` are
 * time-like: a u32 millisecond clock from an arbitrary origin or a 16/24-bit
 * tick wraps mid-match. Role extraction records the wrap (`sendTimeModulusUs`,
 * `targetTimeModulusUs`, `tickBits`) and core's `RoleUnwrapper` — applied once
 * per message by the capture pipeline, per (session, direction) — replaces
 * them with monotonic values (equal to the wire value until the first wrap;
 * `tick` becomes a plain number). Analyzers therefore never see a wrap; code
 * feeding analyzers directly applies the same `RoleUnwrapper`. Applying it
 * twice changes nothing. `echoKey` is matched by equality only (the echoed
 * value is copied verbatim), so a wrapping echoed clock needs no unwrapping.
 */
export interface MessageRoles {
  /** Packet/message sequence number in its sequence space (see `channel`): the exact wire value. */
  sequence?: SerialNumber;
  /**
   * Bit width of the sequence field (its wrap-around), e.g. 16; 64 for a
   * variable-length integer or varint (netcode's 1–8 byte sequence is a u64).
   * Also the width of `ack`, which acknowledges the peer's sequences.
   */
  sequenceBits?: number;
  /** Highest sequence number of the peer acknowledged by this message: the exact wire value. */
  ack?: SerialNumber;
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
  /**
   * Id of a reliable message or event on the wire (the `reliableId` role):
   * every (re)send of one reliable event carries the same id, so a resend
   * (same id, higher `resendCount`) tells apart from a replay (same id and
   * `resendCount` seen again). The exact wire value.
   */
  reliableId?: SerialNumber;
  /** Bit width of the reliable id field (its wrap-around). */
  reliableIdBits?: number;
  /**
   * Sender's clock at send time, µs (in the sender's clock domain). Monotonic
   * after the `RoleUnwrapper` (the capture pipeline applies it).
   */
  sendTimeUs?: number;
  /**
   * Where the `sendTime` field wraps, µs: 2^bits × its unit (e.g. a u32 ms
   * clock wraps every 4,294,967,296,000 µs). Absent for fields that cannot wrap
   * in practice (53 bits or wider, floats).
   */
  sendTimeModulusUs?: number;
  /**
   * Key that pairs a request with its echo (ping/pong, time sync), as a string
   * so 64-bit values compare exactly: the `echoId` when the message has one,
   * else the echoed time's wire value.
   */
  echoKey?: string;
  /** The `echoId` field's value (exact, as a string), also when the message carries an `echoTime` too. */
  echoId?: string;
  /**
   * The `echoTime` field's value in µs (its `unit`/`ticksPerSecond`): on a
   * request the sender's clock, on a reply the echoed clock of the request it
   * answers — which of several sends of one request id it answers.
   */
  echoTimeUs?: number;
  /** Whether this message asks for an echo (`request`) or answers one (`reply`). */
  echoPhase?: "request" | "reply";
  /**
   * Simulation tick: the exact wire value from role extraction; a monotonic
   * plain number after the `RoleUnwrapper`.
   */
  tick?: SerialNumber;
  /** Bit width of the tick field (its wrap-around). */
  tickBits?: number;
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
  /**
   * Aim direction of a shot or input, radians: yaw (heading around the
   * vertical axis) as the definition gives it (`aimYaw` role; scale an integer
   * field with `scale` to get radians).
   */
  aimYawRad?: number;
  /** Aim pitch (elevation) of a shot or input, radians (`aimPitch` role). */
  aimPitchRad?: number;
  /**
   * Roles of each element of the message's role-carrying array (one that is
   * not an entity array, e.g. redundant inputs), **newest first** whatever
   * the wire order (the array's `order`). The newest element's roles also fill
   * the message roles that the message's own fields leave unset, so
   * `inputSequence`/`tick` of a message are its newest input's.
   */
  elements?: readonly ElementRoles[];
  /** Client input sequence number (highest input carried): the exact wire value. */
  inputSequence?: SerialNumber;
  /** Bit width of the input sequence field (its wrap-around). */
  inputSequenceBits?: number;
  /** How many inputs the message carries (redundancy: the last N inputs). */
  inputCount?: number;
  /** RTT the client reports it measures, ms. */
  reportedRttMs?: number;
  /**
   * Time the client asks the server to rewind to (lag compensation), µs in the
   * sender's clock. After the `RoleUnwrapper`, unwrapped against the same
   * clock as `sendTimeUs` of its direction.
   */
  targetTimeUs?: number;
  /** Where the `targetTime` field wraps, µs (as `sendTimeModulusUs`). */
  targetTimeModulusUs?: number;
  /** Checksum value carried by the message. */
  checksum?: number;
  /** True when the message carried a MAC or AEAD tag that verified. */
  authenticated?: boolean;
  /** Protocol-level session id. */
  sessionId?: string;
}

/**
 * Every property of {@link MessageRoles}, in one fixed order. A compiled
 * protocol's role builders start each message's roles from an object with the
 * properties its definition can set (this order, all `undefined`), so every
 * decoded message of a protocol shares one hidden class whatever its type: the
 * analyzers' many `roles.x` reads stay monomorphic instead of going megamorphic
 * over a dozen message shapes. An unset role still reads `undefined` and JSON
 * output is unchanged; only `Object.keys`/`in` would see the absent roles
 * (nothing relies on that).
 */
export const MESSAGE_ROLE_PROPERTIES = [
  "sequence",
  "sequenceBits",
  "ack",
  "ackBits",
  "ackBitsWidth",
  "ackChannel",
  "ackDelayUs",
  "channel",
  "reliable",
  "resendCount",
  "reliableId",
  "reliableIdBits",
  "sendTimeUs",
  "sendTimeModulusUs",
  "echoKey",
  "echoId",
  "echoTimeUs",
  "echoPhase",
  "tick",
  "tickBits",
  "playerId",
  "entityId",
  "position",
  "velocity",
  "rotation",
  "entities",
  "aimYawRad",
  "aimPitchRad",
  "elements",
  "inputSequence",
  "inputSequenceBits",
  "inputCount",
  "reportedRttMs",
  "targetTimeUs",
  "targetTimeModulusUs",
  "checksum",
  "authenticated",
  "sessionId",
] as const satisfies readonly (keyof MessageRoles)[];

/** Compile-time check that {@link MESSAGE_ROLE_PROPERTIES} names every property of {@link MessageRoles}. */
type MissingRoleProperty = Exclude<keyof MessageRoles, (typeof MESSAGE_ROLE_PROPERTIES)[number]>;
const everyRolePropertyListed: [MissingRoleProperty] extends [never] ? true : MissingRoleProperty = true;
void everyRolePropertyListed;

/**
 * JavaScript source of an object literal holding every {@link MessageRoles}
 * property as `undefined`, in {@link MESSAGE_ROLE_PROPERTIES} order (the
 * names are fixed identifiers, never user text).
 */
export function blankMessageRolesLiteral(): string {
  return `{ ${MESSAGE_ROLE_PROPERTIES.map((property) => `${property}: undefined`).join(", ")} }`;
}

/**
 * New {@link MessageRoles} with every property present and `undefined`: one
 * object shape for code that builds roles itself (own telemetry fed to analyzers).
 */
export function createBlankMessageRoles(): MessageRoles {
  return {
    sequence: undefined,
    sequenceBits: undefined,
    ack: undefined,
    ackBits: undefined,
    ackBitsWidth: undefined,
    ackChannel: undefined,
    ackDelayUs: undefined,
    channel: undefined,
    reliable: undefined,
    resendCount: undefined,
    reliableId: undefined,
    reliableIdBits: undefined,
    sendTimeUs: undefined,
    sendTimeModulusUs: undefined,
    echoKey: undefined,
    echoId: undefined,
    echoTimeUs: undefined,
    echoPhase: undefined,
    tick: undefined,
    tickBits: undefined,
    playerId: undefined,
    entityId: undefined,
    position: undefined,
    velocity: undefined,
    rotation: undefined,
    entities: undefined,
    aimYawRad: undefined,
    aimPitchRad: undefined,
    elements: undefined,
    inputSequence: undefined,
    inputSequenceBits: undefined,
    inputCount: undefined,
    reportedRttMs: undefined,
    targetTimeUs: undefined,
    targetTimeModulusUs: undefined,
    checksum: undefined,
    authenticated: undefined,
    sessionId: undefined,
  };
}
