/** Measured RTT samples kept (the last second, at least {@link LEVEL_MIN_SAMPLES}). */
export const LEVEL_CAPACITY = 32;
/** Slot arithmetic modulo {@link LEVEL_CAPACITY} (a power of two). */
const SLOT_MASK = LEVEL_CAPACITY - 1;
/** Span of the recent measured level, µs (robust to one late ack or echo, follows a real rise within a second). */
export const LEVEL_SPAN_US = 1_000_000;
/** Samples the recent level takes at least (sparse echoes: the last three, whatever their age). */
export const LEVEL_MIN_SAMPLES = 3;

/** Input of {@link RecentRttLevel.addSample}: arrival µs, RTT ms. */
export const LEVEL_SAMPLE = new Float64Array(2);

/** Offsets of the regions of {@link RecentRttLevel}'s value array (slots, then value order, then weights). */
const SAMPLE_US = 0;
const SORTED_MS = LEVEL_CAPACITY;
const GAP_WEIGHT_US = 2 * LEVEL_CAPACITY;
const WEIGHT_US = 3 * LEVEL_CAPACITY;
/** Offsets of the regions of {@link RecentRttLevel}'s position array. */
const ORDER = 0;
const RANK = LEVEL_CAPACITY;

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
 * ordered insert — no sort per sample. While arrival times rise and sit on a
 * quarter-microsecond grid below 2^51 µs (what pcap and pcapng timestamps give:
 * every difference and sum of weights is then exact, in any order) the level
 * is kept incrementally: only the weights of the new sample and of the samples
 * at the span's edge change, and the median moves from where it was. Otherwise
 * it is computed from all samples; both give the same value bit for bit.
 */
export class RecentRttLevel {
  /**
   * The numeric state in one array (one object and adjacent cache lines per session instead of
   * four): per slot, the sample's arrival time (µs) at {@link SAMPLE_US}; the RTTs in value order
   * at {@link SORTED_MS} (`sortedMs[i]` is the RTT of slot `order[i]`: no indirection in the
   * scans); at {@link GAP_WEIGHT_US} each slot's weight while the sample before it is within the
   * span — its gap to that sample, µs (clamped to 1..span); at {@link WEIGHT_US} each slot's weight
   * in the latest level, µs (0: outside the level's span).
   */
  private readonly values = new Float64Array(4 * LEVEL_CAPACITY);
  /**
   * Ring slots in ascending RTT order (ties: newest first) at {@link ORDER}, the first
   * {@link count} valid; the position of each slot in that order at {@link RANK}.
   */
  private readonly positions = new Int32Array(2 * LEVEL_CAPACITY);
  private count = 0;
  private next = 0;
  /** Samples added so far: sample `n` (0-based) is in slot `n & SLOT_MASK`. */
  private added = 0;
  /** The first sample from which every sample is on the grid and no earlier than the one before it. */
  private cleanFrom = 0;
  /** True when the latest level was taken over clean samples only: the fields below describe it. */
  private tracked = false;
  /** Sum of the latest weights, µs. */
  private totalUs = 0;
  /** Position in {@link order} of the latest median, and the sum of the weights before it, µs. */
  private medianPosition = 0;
  private belowUs = 0;
  /** The oldest sample in the latest level, and the first whose predecessor was inside its span (weight: the gap). */
  private firstIncluded = 0;
  private firstInterior = 0;
  /** Until this many samples were added, a NaN RTT is in the ring (values out of order: the insert scans). */
  private unorderedUntil = 0;

  /** Samples held (≤ {@link LEVEL_CAPACITY}). */
  get length(): number {
    return this.count;
  }

  /** The level at the latest sample's arrival, ms (NaN before the first). */
  levelMs = Number.NaN;

  /** Adds a measured sample (arrival `tUs`, `rttMs`) and returns the level at `tUs`, ms. */
  add(tUs: number, rttMs: number): number {
    LEVEL_SAMPLE[0] = tUs;
    LEVEL_SAMPLE[1] = rttMs;
    this.addSample();
    return this.levelMs;
  }

  /**
   * {@link add} with the sample in {@link LEVEL_SAMPLE} (arrival µs, RTT ms); the level goes to
   * {@link levelMs}. What the hot path calls: a number passed to or returned from a call that is
   * not inlined is boxed (an allocation), numbers in a typed array and in a field are not.
   */
  addSample(): void {
    const tUs = LEVEL_SAMPLE[0]!;
    const rttMs = LEVEL_SAMPLE[1]!;
    const values = this.values;
    const positions = this.positions;
    const slot = this.next;
    const used = this.count;
    const previousUs = values[SAMPLE_US + ((slot - 1) & SLOT_MASK)]!;
    const serial = this.added;
    if (!onGrid(tUs)) this.cleanFrom = serial + 1;
    else if (used > 0 && !(tUs >= previousUs)) this.cleanFrom = serial;
    const tracked = this.tracked && this.cleanFrom <= serial + 1 - Math.min(used + 1, LEVEL_CAPACITY);
    // A NaN RTT breaks the value order until it has left the ring (the add that overwrites its slot included).
    if (rttMs !== rttMs) this.unorderedUntil = serial + LEVEL_CAPACITY + 1;
    // Where the new sample goes: before every equal value (all older), so ties stay newest first.
    // The first position whose value is not below the new one, other than the leaving sample's when
    // the ring is full: values ascend, so a binary search finds it; with a NaN in the ring they need
    // not, and the scan from the start decides (what the order was built with).
    const removed = used === LEVEL_CAPACITY ? positions[RANK + slot]! : -1;
    let position = 0;
    if (serial < this.unorderedUntil) {
      while (position < used && (position === removed || values[SORTED_MS + position]! < rttMs)) position += 1;
    } else {
      let high = used;
      while (position < high) {
        const middle = (position + high) >>> 1;
        if (values[SORTED_MS + middle]! < rttMs) position = middle + 1;
        else high = middle;
      }
      // Not below the new value, and the next position neither: the leaving sample's place is skipped.
      if (position === removed) position += 1;
    }
    if (used === LEVEL_CAPACITY) {
      // The ring is full: the oldest sample (this slot) leaves the order and the others close up
      // towards the new sample's place, one shift for both.
      if (tracked) {
        // The median's position follows the shift; the leaving weight leaves the sums.
        const weight = values[WEIGHT_US + slot]!;
        this.totalUs -= weight;
        if (removed < this.medianPosition) {
          this.belowUs -= weight;
          this.medianPosition -= 1;
        }
      }
      if (position > removed) {
        // Everything between the removed slot and the new place moves down one.
        for (let index = removed; index < position - 1; index++) {
          const moved = positions[ORDER + index + 1]!;
          positions[ORDER + index] = moved;
          positions[RANK + moved] = index;
          values[SORTED_MS + index] = values[SORTED_MS + index + 1]!;
        }
        position -= 1;
      } else {
        for (let index = removed; index > position; index--) {
          const moved = positions[ORDER + index - 1]!;
          positions[ORDER + index] = moved;
          positions[RANK + moved] = index;
          values[SORTED_MS + index] = values[SORTED_MS + index - 1]!;
        }
      }
    } else {
      for (let index = used; index > position; index--) {
        const moved = positions[ORDER + index - 1]!;
        positions[ORDER + index] = moved;
        positions[RANK + moved] = index;
        values[SORTED_MS + index] = values[SORTED_MS + index - 1]!;
      }
      this.count = used + 1;
    }
    positions[ORDER + position] = slot;
    positions[RANK + slot] = position;
    values[SORTED_MS + position] = rttMs;
    values[SAMPLE_US + slot] = tUs;
    values[WEIGHT_US + slot] = 0;
    // The part of the last second the sample covers while the sample before it is inside that second.
    values[GAP_WEIGHT_US + slot] = Math.max(Math.min(tUs - previousUs, LEVEL_SPAN_US), 1);
    this.next = (slot + 1) & SLOT_MASK;
    this.added = serial + 1;
    if (!tracked) {
      this.levelMs = this.level(tUs);
      return;
    }
    if (position <= this.medianPosition) this.medianPosition += 1;
    this.levelMs = this.trackedLevel(tUs);
  }

  /** The weight sample `n` has in the span starting at `startUs` (included; `oldest`: the ring's oldest), as {@link level} takes it. */
  private weightOf(n: number, oldest: number, startUs: number): number {
    const values = this.values;
    const slot = n & SLOT_MASK;
    const atUs = values[SAMPLE_US + slot]!;
    if (n === oldest) return Math.max(Math.min(atUs - Math.max(atUs, startUs), LEVEL_SPAN_US), 1);
    const previousUs = values[SAMPLE_US + ((slot - 1) & SLOT_MASK)]!;
    return previousUs >= startUs ? values[GAP_WEIGHT_US + slot]! : Math.max(Math.min(atUs - Math.max(previousUs, startUs), LEVEL_SPAN_US), 1);
  }

  /** Sets sample `n`'s weight, keeping the total and the sum before the median. */
  private setWeight(n: number, weight: number): void {
    const slot = n & SLOT_MASK;
    const change = weight - this.values[WEIGHT_US + slot]!;
    if (change === 0) return;
    this.values[WEIGHT_US + slot] = weight;
    this.totalUs += change;
    if (this.positions[RANK + slot]! < this.medianPosition) this.belowUs += change;
  }

  /**
   * The level after one clean sample was added to a clean, tracked ring: the samples whose weight
   * can have changed are the new one and those from the span's old edge to its new interior.
   */
  private trackedLevel(tUs: number): number {
    const values = this.values;
    const newest = this.added - 1;
    const oldest = this.added - this.count;
    const startUs = tUs - LEVEL_SPAN_US;
    const from = Math.max(this.firstIncluded, oldest);
    let firstIncluded = from;
    while (firstIncluded < newest - (LEVEL_MIN_SAMPLES - 1) && tUs - values[SAMPLE_US + (firstIncluded & SLOT_MASK)]! > LEVEL_SPAN_US) firstIncluded += 1;
    let firstInterior = Math.max(this.firstInterior, firstIncluded + 1, oldest + 1);
    while (firstInterior <= newest && !(values[SAMPLE_US + ((firstInterior - 1) & SLOT_MASK)]! >= startUs)) firstInterior += 1;
    for (let n = from; n < firstIncluded; n++) this.setWeight(n, 0);
    const edgeEnd = Math.min(firstInterior, newest);
    for (let n = firstIncluded; n < edgeEnd; n++) this.setWeight(n, this.weightOf(n, oldest, startUs));
    this.setWeight(newest, this.weightOf(newest, oldest, startUs));
    this.firstIncluded = firstIncluded;
    this.firstInterior = firstInterior;
    return this.medianAt();
  }

  /**
   * Moves the median from its last position to the first sample in value order whose cumulative
   * weight reaches half the total (the weights are exact: sums in any order are the same).
   */
  private medianAt(): number {
    const values = this.values;
    const positions = this.positions;
    const count = this.count;
    const total = this.totalUs;
    let position = Math.min(this.medianPosition, count);
    let below = this.belowUs;
    while (position < count) {
      const weight = values[WEIGHT_US + positions[ORDER + position]!]!;
      if (weight !== 0 && (below + weight) * 2 >= total) break;
      below += weight;
      position += 1;
    }
    // Back while an earlier sample in the span already reaches half (the samples between weigh 0).
    for (let earlier = position - 1; earlier >= 0; earlier--) {
      const weight = values[WEIGHT_US + positions[ORDER + earlier]!]!;
      if (weight === 0) continue;
      if (below * 2 < total) break;
      below -= weight;
      position = earlier;
    }
    this.medianPosition = position;
    this.belowUs = below;
    return this.medianValue(position, below + values[WEIGHT_US + positions[ORDER + position]!]!, total);
  }

  /** The level when the median is at `position` with cumulative weight `cumulative` of `total`, as {@link level} returns it. */
  private medianValue(position: number, cumulative: number, total: number): number {
    const values = this.values;
    if (cumulative * 2 > total) return values[SORTED_MS + position]!;
    // Exactly half below: the mean of this value and the next one in the span.
    const count = this.count;
    const positions = this.positions;
    let following = position + 1;
    while (following < count - 1 && values[WEIGHT_US + positions[ORDER + following]!] === 0) following += 1;
    return (values[SORTED_MS + position]! + values[SORTED_MS + following]!) / 2;
  }

  /** The time-weighted median of the samples in the span ending at `tUs` (see {@link RecentRttLevel}), from all samples. */
  private level(tUs: number): number {
    const count = this.count;
    const next = this.next;
    const values = this.values;
    const startUs = tUs - LEVEL_SPAN_US;
    let total = 0;
    let back = 1;
    // The newest samples whose predecessor is inside the span (their weight is the gap).
    let interior = 0;
    let interiorRun = true;
    // Newest first; each sample's predecessor is the next one visited (read once).
    let slot = (next - 1) & SLOT_MASK;
    let atUs = values[SAMPLE_US + slot]!;
    for (; back <= count; back++) {
      if (back > LEVEL_MIN_SAMPLES && tUs - atUs > LEVEL_SPAN_US) break;
      const previousSlot = (slot - 1) & SLOT_MASK;
      let weight: number;
      if (back < count) {
        const previousUs = values[SAMPLE_US + previousSlot]!;
        // The sample before is inside the span: the gap between them (the same arithmetic, done at add);
        // else the part of the last second the sample covers (a sparse sample: at least a share of it).
        if (previousUs >= startUs) {
          weight = values[GAP_WEIGHT_US + slot]!;
          if (interiorRun) interior += 1;
        } else {
          weight = Math.max(Math.min(atUs - Math.max(previousUs, startUs), LEVEL_SPAN_US), 1);
          interiorRun = false;
        }
        atUs = previousUs;
      } else {
        weight = Math.max(Math.min(atUs - Math.max(atUs, startUs), LEVEL_SPAN_US), 1);
        interiorRun = false;
      }
      values[WEIGHT_US + slot] = weight;
      total += weight;
      slot = previousSlot;
    }
    const included = back - 1;
    for (; back <= count; back++) {
      values[WEIGHT_US + slot] = 0;
      slot = (slot - 1) & SLOT_MASK;
    }
    const newest = this.added - 1;
    this.firstIncluded = newest - included + 1;
    this.firstInterior = newest - interior + 1;
    this.totalUs = total;
    this.tracked = this.cleanFrom <= this.added - count;
    const positions = this.positions;
    let cumulative = 0;
    let last = -1;
    for (let index = 0; index < count; index++) {
      const weight = values[WEIGHT_US + positions[ORDER + index]!]!;
      if (weight === 0) continue;
      cumulative += weight;
      last = index;
      if (cumulative * 2 >= total) {
        this.medianPosition = index;
        this.belowUs = cumulative - weight;
        return this.medianValue(index, cumulative, total);
      }
    }
    this.tracked = false;
    return values[SORTED_MS + last]!;
  }
}

/** Largest arrival time, µs, on the grid where every difference and sum of the level is exact. */
const GRID_LIMIT_US = 2 ** 51;

/** True when `tUs` is a multiple of a quarter microsecond below {@link GRID_LIMIT_US} in magnitude. */
function onGrid(tUs: number): boolean {
  const quarters = tUs * 4;
  return Math.floor(quarters) === quarters && tUs < GRID_LIMIT_US && tUs > -GRID_LIMIT_US;
}
