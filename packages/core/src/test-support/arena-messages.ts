import type { MessageToEncode } from "../protocol/index.js";

/** An arena datagram header for encoding test datagrams (the protocol id, sequence 1, clock 1000 µs). */
export const ARENA_TEST_HEADER = { protocolId: 1095912769, sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 1000 };

/** The fields of one arena `entityState` (position from `x`, the rest fixed). */
export function arenaEntity(entityId: number, x: number): Record<string, number> {
  return { entityId, x, y: -x, z: 0.5, yaw: 1, velocityX: 2, velocityY: -3, velocityZ: 0, health: 50 };
}

/** An arena `input` message with two identical frames. */
export function arenaInput(sequence: number): MessageToEncode {
  const frame = { moveX: 0, moveY: 1, aimYaw: 2, aimPitch: 0, buttons: 3 };
  return { type: "input", fields: { inputSequence: sequence, reportedRttMs: 40 + sequence, inputs: [frame, frame] } };
}
