import type { Direction, FieldRecord, GameMessage } from "@tickscope/core";
import { copyFields, copyRoles, type RetainedRoles } from "./field-values.js";

/** A decoded message kept (copied) for re-encoding trials. */
export interface RetainedMessage {
  sessionId: string;
  direction: Direction;
  tUs: number;
  packetIndex: number;
  type: string;
  byteLength: number;
  fields: FieldRecord;
  roles: RetainedRoles;
  /** `session\u0000direction`, computed once at retention (trials reuse it instead of building it per trial). */
  directionKey?: string;
  /** `session\u0000direction\u0000type`, computed once at retention. */
  streamKey?: string;
}

/**
 * The bounded window of messages the re-encoding trials run on: the first
 * `maxMessages` messages (and at most `maxLeafValues` leaf values), copied.
 * Accounting covers all traffic; trials say which share they measured.
 */
export class RetainedTrace {
  /** Retained messages in capture order. */
  readonly messages: RetainedMessage[] = [];
  private leafValues = 0;
  private closed = false;
  private seen = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxLeafValues: number,
  ) {}

  /** Offers a message; copies it while the window is open. */
  offer(message: GameMessage): void {
    this.seen += 1;
    if (this.closed) return;
    const leaves = countLeaves(message.fields);
    if (this.messages.length >= this.maxMessages || this.leafValues + leaves > this.maxLeafValues) {
      this.closed = true;
      return;
    }
    this.leafValues += leaves;
    const directionKey = `${message.sessionId}\u0000${message.direction}`;
    this.messages.push({
      sessionId: message.sessionId,
      direction: message.direction,
      tUs: message.tUs,
      packetIndex: message.packetIndex,
      type: message.type,
      byteLength: message.byteLength,
      fields: copyFields(message.fields),
      roles: copyRoles(message.roles),
      directionKey,
      streamKey: `${directionKey}\u0000${message.type}`,
    });
  }

  /** Messages offered, retained or not. */
  get offered(): number {
    return this.seen;
  }

  /** True when messages were dropped because the window was full. */
  get truncated(): boolean {
    return this.closed;
  }

  /** Duration of the window, µs. */
  get durationUs(): number {
    const first = this.messages[0];
    const last = this.messages[this.messages.length - 1];
    return first === undefined || last === undefined ? 0 : last.tUs - first.tUs;
  }
}

function countLeaves(value: unknown): number {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return 1;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countLeaves(item);
    return count;
  }
  for (const key in value as Record<string, unknown>) count += countLeaves((value as Record<string, unknown>)[key]);
  return count;
}
