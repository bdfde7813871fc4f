/** Measured RTT samples kept (the last second, at least {@link LEVEL_MIN_SAMPLES}). */
export const LEVEL_CAPACITY = 32;
/** Slot arithmetic modulo {@link LEVEL_CAPACITY} (a power of two). */
const SLOT_MASK = LEVEL_CAPACITY - 1;
/** Span of the recent measured level, µs (robust to one late ack or echo, follows a real rise within a second). */
export const LEVEL_SPAN_US = 1_000_000;
/** Samples the recent level takes at least (sparse echoes: the last three, whatever their age). */
export const LEVEL_MIN_SAMPLES = 3;

/**
 * The recent measured RTT level of a session: the time-weighted median of the
 * measured samples of the last second (at least the last
 * {@link LEVEL_MIN_SAMPLES}), ms. Each sample weighs the time since the
 * sample before it (what a probe sent in that time would have measured).
 * Dense samples weigh alike, so one late ack among many moves nothing; a
 * sample after a gap — a stall that held every datagram, so no newer ack came
 * — stands for the whole gap, as it does in a client's SRTT when its ping fell
 * into the stall (a 1.5-s Wi-Fi stall sampled by a 1-Hz ping raises an SRTT by
 * 1.5 s / 8).
 *
 * Fixed memory ({@link LEVEL_CAPACITY} samples). The samples are kept in value
 * order as they come (ties: newest first), so each new sample costs one
 * ordered insert and one pass over at most {@link LEVEL_CAPACITY} slots — no
 * sort per sample.
 */
export class RecentRttLevel {
  /** Ring of samples: arrival µs and RTT ms. */
  private readonly sampleUs = new Float64Array(LEVEL_CAPACITY);
  private readonly sampleMs = new Float64Array(LEVEL_CAPACITY);
  /** Ring slots in ascending RTT order (ties: newest first); the first {@link count} are valid. */
  private readonly order = new Int32Array(LEVEL_CAPACITY);
  /** Weight of each slot in the latest level, µs (0: outside the level's span). */
  private readonly weightUs = new Float64Array(LEVEL_CAPACITY);
  private count = 0;
  private next = 0;

  /** Samples held (≤ {@link LEVEL_CAPACITY}). */
  get length(): number {
    return this.count;
  }

  /** Adds a measured sample (arrival `tUs`, `rttMs`) and returns the level at `tUs`, ms. */
  add(tUs: number, rttMs: number): number {
    const order = this.order;
    const sampleMs = this.sampleMs;
    const slot = this.next;
    let used = this.count;
    if (used === LEVEL_CAPACITY) {
      // The ring is full: the oldest sample (this slot) leaves the order.
      let index = 0;
      while (order[index] !== slot) index += 1;
      for (; index < used - 1; index++) order[index] = order[index + 1]!;
      used -= 1;
    }
    this.sampleUs[slot] = tUs;
    sampleMs[slot] = rttMs;
    // Before every equal value (all older): ties stay newest first.
    let position = used;
    while (position > 0 && sampleMs[order[position - 1]!]! >= rttMs) {
      order[position] = order[position - 1]!;
      position -= 1;
    }
    order[position] = slot;
    this.count = used + 1;
    this.next = slot + 1 === LEVEL_CAPACITY ? 0 : slot + 1;
    return this.level(tUs);
  }

  /** The time-weighted median of the samples in the span ending at `tUs` (see {@link RecentRttLevel}). */
  private level(tUs: number): number {
    const count = this.count;
    const sampleUs = this.sampleUs;
    const weightUs = this.weightUs;
    let included = 0;
    let total = 0;
    let back = 1;
    for (; back <= count; back++) {
      const slot = (this.next - back) & SLOT_MASK;
      const atUs = sampleUs[slot]!;
      if (included >= LEVEL_MIN_SAMPLES && tUs - atUs > LEVEL_SPAN_US) break;
      const previousUs = back < count ? sampleUs[(slot - 1) & SLOT_MASK]! : Number.NaN;
      // The part of the last second the sample covers (a sparse sample: at least a share of it).
      const coveredUs = Math.min(atUs - Math.max(Number.isNaN(previousUs) ? atUs : previousUs, tUs - LEVEL_SPAN_US), LEVEL_SPAN_US);
      const weight = Math.max(coveredUs, 1);
      weightUs[slot] = weight;
      included += 1;
      total += weight;
    }
    for (; back <= count; back++) weightUs[(this.next - back) & SLOT_MASK] = 0;
    const order = this.order;
    const sampleMs = this.sampleMs;
    let cumulative = 0;
    let last = -1;
    for (let index = 0; index < count; index++) {
      const slot = order[index]!;
      const weight = weightUs[slot]!;
      if (weight === 0) continue;
      cumulative += weight;
      last = slot;
      if (cumulative * 2 > total) return sampleMs[slot]!;
      if (cumulative * 2 === total) {
        // Exactly half below: the mean of this value and the next one in the span.
        let following = index + 1;
        while (following < count - 1 && weightUs[order[following]!] === 0) following += 1;
        return (sampleMs[slot]! + sampleMs[order[following]!]!) / 2;
      }
    }
    return sampleMs[last]!;
  }
}
