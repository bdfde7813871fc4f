/**
 * Silence after which traffic counts as idle, not as part of a conversation:
 * 120 s, the shortest UDP mapping lifetime a NAT may use (RFC 4787 REQ-5).
 * Longer silences — the hours between a stitched file's parts, a clock jump
 * of years, the minutes between two play sessions — are left out of rates.
 */
export const DEFAULT_IDLE_GAP_US = 120_000_000;

/** Shortest time an active period counts for (a lone packet or a burst counts one second, the bucket of a peak rate). */
export const MINIMUM_ACTIVE_PERIOD_US = 1_000_000;

/** Options of {@link ActiveSpan}. */
export interface ActiveSpanOptions {
  /** Silence (µs) that ends an active period (default {@link DEFAULT_IDLE_GAP_US}). */
  idleGapUs?: number;
}

/**
 * The time a stream of packets was active, for rates that a few far-off
 * timestamps must not dilute: a stitched capture (two parts 22 years apart), a
 * packet with a wild clock, long pauses between sessions. Packets are split
 * into active periods wherever the time between consecutive packets (in
 * arrival order, either way: a clock that jumps back is a gap too) is over
 * `idleGapUs`; the active time is the sum of the periods' spans, each at least
 * {@link MINIMUM_ACTIVE_PERIOD_US}. Without such a gap it is the ordinary
 * first-to-last span (at least 1 s). Constant memory, streaming.
 */
export class ActiveSpan {
  private readonly idleGapUs: number;
  private previousUs = Number.NaN;
  private periodStartUs = Number.NaN;
  private periodEndUs = Number.NaN;
  private closedActiveUs = 0;
  private minimumUs = Number.POSITIVE_INFINITY;
  private maximumUs = Number.NEGATIVE_INFINITY;
  private idleGapCount = 0;
  private longestIdleGap = 0;
  private packetCount = 0;

  /** Creates an empty span. */
  constructor(options: ActiveSpanOptions = {}) {
    const idle = options.idleGapUs ?? DEFAULT_IDLE_GAP_US;
    this.idleGapUs = Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_GAP_US;
  }

  /** Adds one packet's time (µs), in arrival order. Non-finite times are ignored. */
  add(tUs: number): void {
    if (!Number.isFinite(tUs)) return;
    this.packetCount += 1;
    if (tUs < this.minimumUs) this.minimumUs = tUs;
    if (tUs > this.maximumUs) this.maximumUs = tUs;
    if (Number.isNaN(this.previousUs)) {
      this.periodStartUs = tUs;
      this.periodEndUs = tUs;
    } else {
      const gapUs = Math.abs(tUs - this.previousUs);
      if (gapUs > this.idleGapUs) {
        this.closedActiveUs += this.periodUs();
        this.idleGapCount += 1;
        if (gapUs > this.longestIdleGap) this.longestIdleGap = gapUs;
        this.periodStartUs = tUs;
        this.periodEndUs = tUs;
      } else {
        if (tUs < this.periodStartUs) this.periodStartUs = tUs;
        if (tUs > this.periodEndUs) this.periodEndUs = tUs;
      }
    }
    this.previousUs = tUs;
  }

  private periodUs(): number {
    return Math.max(this.periodEndUs - this.periodStartUs, MINIMUM_ACTIVE_PERIOD_US);
  }

  /** Packets added. */
  get packets(): number {
    return this.packetCount;
  }

  /** Earliest to latest time (µs), 0 when empty: the span a naive rate divides by. */
  get spanUs(): number {
    return this.packetCount === 0 ? 0 : this.maximumUs - this.minimumUs;
  }

  /** Active time (µs): the sum of the active periods' spans, each at least 1 s; 0 when empty. */
  get activeUs(): number {
    return this.packetCount === 0 ? 0 : this.closedActiveUs + this.periodUs();
  }

  /** Silences over the idle gap that were left out. */
  get idleGaps(): number {
    return this.idleGapCount;
  }

  /** The longest silence left out (µs), 0 when none. */
  get longestIdleGapUs(): number {
    return this.longestIdleGap;
  }

  /** The idle gap this span splits at (µs). */
  get idleGapThresholdUs(): number {
    return this.idleGapUs;
  }

  /** `amount` per second of active time (0 when empty). */
  perSecond(amount: number): number {
    const activeUs = this.activeUs;
    return activeUs > 0 ? (amount * 1e6) / activeUs : 0;
  }
}
