import type { Direction } from "./session.js";
import type { MessageRoles } from "./roles.js";
import { SerialUnwrapper, type SerialNumber } from "./serial-number.js";

/** The parts of a game message the {@link RoleUnwrapper} reads and rewrites. */
export interface UnwrappableMessage {
  /** Session the message belongs to. */
  readonly sessionId: string;
  /** Direction it travelled in (each sender has its own clocks). */
  readonly direction: Direction;
  /** Capture time, µs: predicts how far a sender's clock moved since its last message. */
  readonly tUs: number;
  /** Its roles, rewritten in place. */
  readonly roles: MessageRoles;
}

/**
 * The candidate of a wrapping clock value nearest to a reference: `rawUs` plus
 * the multiple of `modulusUs` that lands within half a modulus of
 * `referenceUs` (exactly half is "behind", never a jump forward).
 */
export function nearestClockValue(rawUs: number, referenceUs: number, modulusUs: number): number {
  const half = modulusUs / 2;
  const difference = rawUs - referenceUs;
  // Within half a modulus the remainder is the difference itself (exact): no floating-point remainder.
  if (difference < half && difference >= -half) return referenceUs + difference;
  let delta = difference % modulusUs;
  if (delta >= half) delta -= modulusUs;
  else if (delta < -half) delta += modulusUs;
  return referenceUs + delta;
}

/**
 * One wrapping clock of one sender (a time field of a given wrap modulus),
 * extended to monotonic µs. Each value is placed at the candidate nearest to
 * where the clock should be now — its highest value so far, advanced by the
 * capture time elapsed since — so a wrap, reordering or a silence of up to
 * half the wrap period are all handled; a clock that really runs fast or jumps
 * back (a speedhack, a reset) keeps doing so after unwrapping. The first value
 * extends to itself: values equal the wire values until the first wrap.
 */
export class ClockUnwrapper {
  private highestUs = Number.NaN;
  private highestCaptureUs = 0;
  /** The raw value extended last and its result: a datagram header's clock repeats on every message of the datagram. */
  private lastRawUs = Number.NaN;
  private lastExtendedUs = Number.NaN;

  /** @param modulusUs where the clock wraps, µs (2^bits × unit). */
  constructor(readonly modulusUs: number) {
    if (!(modulusUs > 0) || !Number.isFinite(modulusUs)) throw new RangeError(`clock modulus must be a positive number of µs, got ${modulusUs}`);
  }

  /** Whether a value has been seen. */
  get started(): boolean {
    return this.highestUs === this.highestUs;
  }

  /** Where the clock should be at capture time `captureUs`: the highest value advanced by the elapsed capture time (NaN before the first value). */
  predictUs(captureUs: number): number {
    const elapsedUs = captureUs - this.highestCaptureUs;
    return elapsedUs > 0 ? this.highestUs + elapsedUs : this.highestUs;
  }

  /** Extends one raw clock value (µs, as on the wire) read at capture time `captureUs`. */
  extend(rawUs: number, captureUs: number): number {
    if (this.highestUs !== this.highestUs) {
      if (rawUs !== rawUs) return rawUs;
      this.highestUs = rawUs;
      this.highestCaptureUs = captureUs;
      return rawUs;
    }
    if (rawUs === this.lastRawUs) return this.lastExtendedUs;
    if (rawUs !== rawUs) return rawUs;
    const extended = nearestClockValue(rawUs, this.predictUs(captureUs), this.modulusUs);
    if (extended > this.highestUs) {
      this.highestUs = extended;
      this.highestCaptureUs = captureUs;
    }
    this.lastRawUs = rawUs;
    this.lastExtendedUs = extended;
    return extended;
  }
}

/** The clock state of one session direction of a {@link RoleUnwrapper} (opaque: see {@link RoleUnwrapper.senderOf}). */
export interface RoleUnwrapperSender {
  /** Brand: only a RoleUnwrapper makes these. */
  readonly roleUnwrapperSender: true;
}

/** Clock and tick state of one sender (one session direction). */
class SenderClocks implements RoleUnwrapperSender {
  readonly roleUnwrapperSender = true as const;
  /** `sendTime` clocks by wrap modulus (a protocol may carry clocks of several widths). */
  readonly sendClocks: ClockUnwrapper[] = [];
  /** `targetTime` clocks by modulus, used only while the direction has no `sendTime`. */
  readonly targetClocks: ClockUnwrapper[] = [];
  /** Tick counters by width. */
  readonly ticks: TickCounter[] = [];
  /** The `sendTime` clock used last (the reference for `targetTime`). */
  lastSendClock: ClockUnwrapper | undefined;
  /** Senders multiplexed on this session direction by a protocol-level session id (RTP's SSRC), each with its own clocks. */
  private streams: Map<string, SenderClocks> | undefined;
  private lastStreamId: string | undefined;
  private lastStream: SenderClocks | undefined;

  /** The clocks of the sender with protocol-level session id `id` (this direction's own beyond {@link MAX_STREAMS_PER_DIRECTION}). */
  stream(id: string): SenderClocks {
    if (id === this.lastStreamId) return this.lastStream!;
    this.streams ??= new Map();
    let stream = this.streams.get(id);
    if (stream === undefined) {
      if (this.streams.size >= MAX_STREAMS_PER_DIRECTION) return this;
      stream = new SenderClocks();
      this.streams.set(id, stream);
    }
    this.lastStreamId = id;
    this.lastStream = stream;
    return stream;
  }

  clock(list: ClockUnwrapper[], modulusUs: number): ClockUnwrapper {
    for (let index = 0; index < list.length; index++) if (list[index].modulusUs === modulusUs) return list[index];
    const clock = new ClockUnwrapper(modulusUs);
    if (list.length < MAX_CLOCKS_PER_SENDER) list.push(clock);
    return clock;
  }

  tick(bits: number): TickCounter {
    const ticks = this.ticks;
    for (let index = 0; index < ticks.length; index++) if (ticks[index].bits === bits) return ticks[index];
    const counter = new TickCounter(bits);
    if (ticks.length < MAX_CLOCKS_PER_SENDER) ticks.push(counter);
    return counter;
  }
}

/** Distinct clock widths remembered per sender and role (a definition has a handful at most). */
const MAX_CLOCKS_PER_SENDER = 8;
/** Protocol-level sessions (e.g. RTP SSRCs) with their own clocks per session direction; more share the direction's. */
const MAX_STREAMS_PER_DIRECTION = 256;

/**
 * Unwraps the time-like roles of every message — `sendTimeUs`,
 * `targetTimeUs` and `tick` — by their field width, per (session, direction,
 * protocol-level session id: each RTP SSRC has its own clock origin),
 * so analyzers see monotonic values: a u32 millisecond clock from an arbitrary
 * origin or a 16/24-bit tick that wraps mid-match is never a cheat, a spike or
 * a jitter sample. `targetTimeUs` is unwrapped against the `sendTime` clock of
 * its direction (where that clock should be at the message's capture time);
 * `tick` becomes a plain monotonic number (exact, also for a u64 tick beyond
 * 2^53). Roles without a wrap (`sendTimeModulusUs`, `targetTimeModulusUs`,
 * `tickBits` absent) are left alone, so this costs three property reads on a
 * protocol without wrapping clocks.
 *
 * The capture pipeline applies one instance to every decoded message before
 * any analyzer sees it; code that feeds analyzers directly (own telemetry)
 * calls {@link RoleUnwrapper.apply} the same way, in time order. Applying it
 * twice changes nothing (unwrapped values are already continuous). Memory: a
 * few numbers per session direction.
 *
 * Sequences (`sequence`, `ack`, `inputSequence`) keep their exact wire values:
 * each analysis extends them in its own sequence spaces with
 * {@link SerialUnwrapper} / `serialDifference`.
 */
export class RoleUnwrapper {
  private readonly sessions = new Map<string, [SenderClocks | undefined, SenderClocks | undefined]>();
  private lastSessionId: string | undefined;
  private lastPair: [SenderClocks | undefined, SenderClocks | undefined] | undefined;

  /** Session directions with clock state. */
  get senderCount(): number {
    let count = 0;
    for (const pair of this.sessions.values()) count += (pair[0] === undefined ? 0 : 1) + (pair[1] === undefined ? 0 : 1);
    return count;
  }

  /** Unwraps the time-like roles of one message in place (call in capture-time order). */
  apply(message: UnwrappableMessage): void {
    const roles = message.roles;
    if (roles.sendTimeModulusUs === undefined && roles.targetTimeModulusUs === undefined && roles.tickBits === undefined) return;
    this.unwrap(message, this.sender(message.sessionId, message.direction));
  }

  /**
   * The clock state of one session direction, for {@link RoleUnwrapper.applyFor}:
   * a caller that knows a message's session and direction without a lookup (the
   * capture pipeline keeps one per flow and direction) skips the per-message
   * session lookup of {@link RoleUnwrapper.apply}.
   */
  senderOf(sessionId: string, direction: Direction): RoleUnwrapperSender {
    return this.sender(sessionId, direction);
  }

  /**
   * {@link RoleUnwrapper.apply} for a message of the session direction whose
   * clock state `sender` is (from {@link RoleUnwrapper.senderOf} of this
   * instance, for the message's `sessionId` and `direction`): same result.
   */
  applyFor(message: UnwrappableMessage, sender: RoleUnwrapperSender): void {
    const roles = message.roles;
    if (roles.sendTimeModulusUs === undefined && roles.targetTimeModulusUs === undefined && roles.tickBits === undefined) return;
    this.unwrap(message, sender as SenderClocks);
  }

  private unwrap(message: UnwrappableMessage, directionSender: SenderClocks): void {
    const roles = message.roles;
    const sendModulusUs = roles.sendTimeModulusUs;
    const targetModulusUs = roles.targetTimeModulusUs;
    const tickBits = roles.tickBits;
    let sender = directionSender;
    const protocolSessionId = roles.sessionId;
    if (protocolSessionId !== undefined) sender = sender.stream(protocolSessionId);
    const writable = roles as { -readonly [K in keyof MessageRoles]: MessageRoles[K] };
    if (sendModulusUs !== undefined && roles.sendTimeUs !== undefined) {
      const clock = sender.clock(sender.sendClocks, sendModulusUs);
      writable.sendTimeUs = clock.extend(roles.sendTimeUs, message.tUs);
      sender.lastSendClock = clock;
    }
    if (targetModulusUs !== undefined && roles.targetTimeUs !== undefined) {
      const reference = sender.lastSendClock;
      writable.targetTimeUs =
        reference !== undefined && reference.started
          ? nearestClockValue(roles.targetTimeUs, reference.predictUs(message.tUs), targetModulusUs)
          : sender.clock(sender.targetClocks, targetModulusUs).extend(roles.targetTimeUs, message.tUs);
    }
    if (tickBits !== undefined && roles.tick !== undefined) writable.tick = sender.tick(tickBits).extend(roles.tick);
  }

  private sender(sessionId: string, direction: Direction): SenderClocks {
    let pair = sessionId === this.lastSessionId ? this.lastPair : undefined;
    if (pair === undefined) {
      pair = this.sessions.get(sessionId);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.sessions.set(sessionId, pair);
      }
      this.lastSessionId = sessionId;
      this.lastPair = pair;
    }
    const index = direction === "clientToServer" ? 0 : 1;
    let sender = pair[index];
    if (sender === undefined) {
      sender = new SenderClocks();
      pair[index] = sender;
    }
    return sender;
  }
}

/** One tick counter: a {@link SerialUnwrapper} with a one-entry cache (a tick repeats on every message of a tick). */
class TickCounter {
  private readonly unwrapper: SerialUnwrapper;
  private lastRaw: SerialNumber = Number.NaN;
  private lastExtended = Number.NaN;

  constructor(readonly bits: number) {
    this.unwrapper = new SerialUnwrapper(bits);
  }

  /** Extends a tick; a value that is not an integer (a float field) is passed through as a number. */
  extend(tick: SerialNumber): number {
    if (tick === this.lastRaw) return this.lastExtended;
    if (typeof tick === "number" && !Number.isInteger(tick)) return tick;
    const extended = this.unwrapper.extend(tick);
    this.lastRaw = tick;
    this.lastExtended = extended;
    return extended;
  }
}
