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
  /** Ring of samples' arrival times, µs. */
  private readonly sampleUs = new Float64Array(LEVEL_CAPACITY);
  /** Ring slots in ascending RTT order (ties: newest first); the first {@link count} are valid. */
  private readonly order = new Int32Array(LEVEL_CAPACITY);
  /** The samples' RTTs in that order, ms (`sortedMs[i]` is the RTT of slot `order[i]`: no indirection in the scans). */
  private readonly sortedMs = new Float64Array(LEVEL_CAPACITY);
  /** Weight of each slot while the sample before it is within the span: its gap to that sample, µs (clamped to 1..span). */
  private readonly gapWeightUs = new Float64Array(LEVEL_CAPACITY);
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
    const sortedMs = this.sortedMs;
    const slot = this.next;
    const used = this.count;
    // Where the new sample goes: before every equal value (all older), so ties stay newest first.
    let position = 0;
    if (used === LEVEL_CAPACITY) {
      // The ring is full: the oldest sample (this slot) leaves the order and the others close up
      // towards the new sample's place, one shift for both.
      let removed = 0;
      while (order[removed] !== slot) removed += 1;
      while (position < used && (position === removed || sortedMs[position]! < rttMs)) position += 1;
      if (position > removed) {
        // Everything between the removed slot and the new place moves down one.
        for (let index = removed; index < position - 1; index++) {
          order[index] = order[index + 1]!;
          sortedMs[index] = sortedMs[index + 1]!;
        }
        position -= 1;
      } else {
        for (let index = removed; index > position; index--) {
          order[index] = order[index - 1]!;
          sortedMs[index] = sortedMs[index - 1]!;
        }
      }
    } else {
      while (position < used && sortedMs[position]! < rttMs) position += 1;
      for (let index = used; index > position; index--) {
        order[index] = order[index - 1]!;
        sortedMs[index] = sortedMs[index - 1]!;
      }
      this.count = used + 1;
    }
    order[position] = slot;
    sortedMs[position] = rttMs;
    const previousUs = this.sampleUs[(slot - 1) & SLOT_MASK]!;
    this.sampleUs[slot] = tUs;
    // The part of the last second the sample covers while the sample before it is inside that second.
    this.gapWeightUs[slot] = Math.max(Math.min(tUs - previousUs, LEVEL_SPAN_US), 1);
    this.next = (slot + 1) & SLOT_MASK;
    return this.level(tUs);
  }

  /** The time-weighted median of the samples in the span ending at `tUs` (see {@link RecentRttLevel}). */
  private level(tUs: number): number {
    const count = this.count;
    const next = this.next;
    const sampleUs = this.sampleUs;
    const weightUs = this.weightUs;
    const gapWeight = this.gapWeightUs;
    const startUs = tUs - LEVEL_SPAN_US;
    let total = 0;
    let back = 1;
    // Newest first; each sample's predecessor is the next one visited (read once).
    let slot = (next - 1) & SLOT_MASK;
    let atUs = sampleUs[slot]!;
    for (; back <= count; back++) {
      if (back > LEVEL_MIN_SAMPLES && tUs - atUs > LEVEL_SPAN_US) break;
      const previousSlot = (slot - 1) & SLOT_MASK;
      let weight: number;
      if (back < count) {
        const previousUs = sampleUs[previousSlot]!;
        // The sample before is inside the span: the gap between them (the same arithmetic, done at add);
        // else the part of the last second the sample covers (a sparse sample: at least a share of it).
        weight = previousUs >= startUs ? gapWeight[slot]! : Math.max(Math.min(atUs - Math.max(previousUs, startUs), LEVEL_SPAN_US), 1);
        atUs = previousUs;
      } else {
        weight = Math.max(Math.min(atUs - Math.max(atUs, startUs), LEVEL_SPAN_US), 1);
      }
      weightUs[slot] = weight;
      total += weight;
      slot = previousSlot;
    }
    for (; back <= count; back++) {
      weightUs[slot] = 0;
      slot = (slot - 1) & SLOT_MASK;
    }
    const order = this.order;
    const sortedMs = this.sortedMs;
    let cumulative = 0;
    let last = -1;
    for (let index = 0; index < count; index++) {
      const weight = weightUs[order[index]!]!;
      if (weight === 0) continue;
      cumulative += weight;
      last = index;
      if (cumulative * 2 > total) return sortedMs[index]!;
      if (cumulative * 2 === total) {
        // Exactly half below: the mean of this value and the next one in the span.
        let following = index + 1;
        while (following < count - 1 && weightUs[order[following]!] === 0) following += 1;
        return (sortedMs[index]! + sortedMs[following]!) / 2;
      }
    }
    return sortedMs[last]!;
  }
}
