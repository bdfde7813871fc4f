import type { Direction } from "@tickscope/core";

/**
 * Message-level model of the `arena` example protocol
 * (`examples/protocols/arena.json`): field names exactly as in the definition.
 */

/** Message type names of arena, in definition order. */
export const ARENA_MESSAGE_TYPES = ["input", "snapshot", "spawn", "death", "chat", "ping", "pong", "shot", "stateReset"] as const;

/** One arena message type name. */
export type ArenaMessageType = (typeof ARENA_MESSAGE_TYPES)[number];

/** Quantization ranges of arena (for clamping values before encoding). */
export const ARENA_LIMITS = {
  position: 2048,
  velocity: 64,
  maxInputs: 16,
  maxEntities: 128,
  maxReportedRttMs: 10000,
  weapons: 5,
  sendTimeModulus: 2 ** 48,
} as const;

/** Datagram header. */
export interface ArenaHeader {
  /** Protocol id; omit it to use the definition's single allowed value (a tampering client forges it). */
  protocolId?: number;
  /** Datagram sequence number, u16. */
  sequence: number;
  /** Latest peer sequence received, u16. */
  ack: number;
  /** Bit i set: ack − 1 − i was received too (u32). */
  ackBits: number;
  /** Sender clock, µs (u48). */
  sendTimeUs: number;
}

/** One input frame (`inputFrame`). */
export interface ArenaInputFrame {
  moveX: number;
  moveY: number;
  aimYaw: number;
  aimPitch: number;
  buttons: number;
}

/** One entity (`entityState`). */
export interface ArenaEntityState {
  entityId: number;
  x: number;
  y: number;
  z: number;
  yaw: number;
  velocityX: number;
  velocityY: number;
  velocityZ: number;
  health: number;
}

/** An arena message: its type name and its field object as the definition names them. */
export type ArenaMessage =
  | { type: "input"; fields: { inputSequence: number; reportedRttMs: number; inputs: ArenaInputFrame[] } }
  | { type: "snapshot"; fields: { tick: number; lastProcessedInputSequence: number; entities: ArenaEntityState[] } }
  | { type: "spawn"; fields: { eventId: number; resendCount: number; tick: number; entityId: number; playerId: number; x: number; y: number; z: number } }
  | { type: "death"; fields: { eventId: number; resendCount: number; tick: number; victimPlayerId: number; killerPlayerId: number; weapon: number } }
  | { type: "chat"; fields: { eventId: number; resendCount: number; playerId: number; text: string } }
  | { type: "ping"; fields: { pingId: number } }
  | { type: "pong"; fields: { pingId: number; processingUs: number } }
  | {
      type: "shot";
      fields: { shotId: number; weapon: number; targetTimeUs: number; x: number; y: number; z: number; aimYaw: number; aimPitch: number };
    }
  | { type: "stateReset"; fields: { eventId: number; resendCount: number; tick: number; reason: number } };

/** One datagram: header plus messages in order. */
export interface ArenaDatagram {
  /** Header fields. */
  header: ArenaHeader;
  /** Messages, in datagram order. */
  messages: ArenaMessage[];
}

/**
 * Turns a datagram into UDP payload bytes. The default implementation is the
 * arena definition's own encoder (see {@link createArenaEncoder}).
 */
export interface DatagramEncoder {
  /** Encodes one datagram; `stream` says whose it is (encoders that keep per-stream state use it). */
  encodeDatagram(datagram: ArenaDatagram, stream?: DatagramStream): Uint8Array;
}

/** Whose datagram is being encoded: one player's stream in one direction. */
export interface DatagramStream {
  /** Player id. */
  readonly playerId: number;
  /** Direction of the datagram. */
  readonly direction: Direction;
  /** Index of the player's server region (the server clock). */
  readonly regionIndex: number;
}
