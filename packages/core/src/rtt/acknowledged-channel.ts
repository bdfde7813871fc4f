import type { MessageRoles } from "../roles.js";

/**
 * The channel (sequence space) whose sequence numbers a message's `ack` and
 * `ackBits` acknowledge, as the protocol definition says it: the `ackChannel`
 * role (a field, or the message's `ackChannel` property — Firefall's control
 * channel acks channel 1 with `matrixAck` and channel 2 with `gssAck`), else
 * the message's own `channel` (acks piggybacked on the data of the same
 * channel), else `undefined` (a protocol without channels: one space per
 * direction). Latency, loss and regions all resolve acks through this one
 * function, so an ack never counts against one channel in one analysis and
 * another channel in the next.
 */
export function acknowledgedChannel(roles: MessageRoles): number | string | undefined {
  return roles.ackChannel !== undefined ? roles.ackChannel : roles.channel;
}

/**
 * The key of a channel for comparisons between messages: the channel as text
 * (`1` and `"1"` are one channel), "" for no channel. Constant strings for the
 * small integers every real protocol uses, so the hot path does not allocate.
 */
export function channelKey(channel: number | string | undefined): string {
  if (channel === undefined) return "";
  if (typeof channel === "string") return channel;
  return channel >= 0 && channel < SMALL_CHANNEL_KEYS.length && Number.isInteger(channel) ? SMALL_CHANNEL_KEYS[channel] : String(channel);
}

const SMALL_CHANNEL_KEYS: readonly string[] = Array.from({ length: 256 }, (_, index) => String(index));
