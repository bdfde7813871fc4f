import { finalizeMix32 } from "@tickscope/core";
import type { PayloadSample } from "./packet-observer.js";

/** Seed of the datagram sample: fixed, so the same capture always gives the same sample and report. */
export const PAYLOAD_SAMPLE_SEED = 0x7ac5_c09e;

/**
 * 32-bit hash of a packet index (MurmurHash3's finalizer over the index's low
 * and high words, mixed with the seed): uniform enough that "the low `level`
 * bits are zero" keeps each datagram with probability 2^−level, independently.
 */
export function packetHash(packetIndex: number, seed = PAYLOAD_SAMPLE_SEED): number {
  return finalizeMix32((packetIndex >>> 0) ^ seed ^ (Math.floor(packetIndex / 0x1_0000_0000) * 0x9e37_79b9));
}

/**
 * 32-bit sampling hash of a datagram from what every pass over it sees alike —
 * its capture time and its payload's fingerprint — not from its packet index
 * (which restarts in each file of a rotation): a thread's share of a capture and
 * a rotated file choose the same datagrams as one pass over everything.
 */
export function datagramHash(tUs: number, fingerprint: number, seed = PAYLOAD_SAMPLE_SEED): number {
  const wholeUs = Math.floor(tUs);
  const fractionNs = Math.round((tUs - wholeUs) * 1000);
  let hash = finalizeMix32((fingerprint >>> 0) ^ seed);
  hash = finalizeMix32(hash ^ (wholeUs >>> 0));
  return finalizeMix32(hash ^ Math.imul(Math.floor(wholeUs / 0x1_0000_0000), 0x9e37_79b9) ^ fractionNs);
}

/** Bytes of each block the payload copies are carved from (a UDP payload fits in one). */
export const SAMPLE_COPY_BLOCK_BYTES = 65_536;

/**
 * A seeded, deterministic, bounded sample of datagram payloads spread over the
 * whole capture (not its first datagrams): a datagram is in the sample when the
 * low `level` bits of {@link packetHash} of its index are zero. Whenever the
 * sample outgrows its packet or byte bound the level goes up by one and the
 * datagrams that no longer qualify are dropped, so at the end the sample is a
 * Bernoulli(2^−level) sample of every datagram with a payload (those larger than
 * the byte bound excepted), in capture order.
 */
export class PayloadSampler {
  /** Sampled payload copies, in capture order. */
  samples: PayloadSample[] = [];
  /** Datagrams with a payload offered (the population the sample is drawn from). */
  offered = 0;
  /** Payload bytes offered. */
  offeredBytes = 0;
  /** Current level: each datagram is kept with probability 2^−level. */
  level = 0;
  private sampleBytes = 0;
  /** Block the next payload copy is carved from (views into shared blocks: no buffer per copy). */
  private copyBlock = new Uint8Array(0);
  private copyBlockUsed = 0;

  /**
   * @param maxPackets most datagrams kept at once (0: no sample)
   * @param maxBytes most payload bytes kept at once
   * @param seed hash seed (default {@link PAYLOAD_SAMPLE_SEED})
   */
  constructor(
    readonly maxPackets: number,
    readonly maxBytes: number,
    readonly seed = PAYLOAD_SAMPLE_SEED,
  ) {}

  /**
   * Offers one datagram of a session direction; returns its sample (a copy of the
   * payload) when it was taken, else undefined (nothing allocated). `hash` is the
   * datagram's sampling hash (the analyzer gives {@link datagramHash}); by default
   * {@link packetHash} of its index. `streamKey` is `session\u0000direction` when
   * the caller holds it already (built here otherwise).
   */
  offer(
    sessionId: string,
    direction: string,
    packetIndex: number,
    tUs: number,
    payload: Uint8Array,
    hash = packetHash(packetIndex, this.seed),
    streamKey?: string,
  ): PayloadSample | undefined {
    this.offered += 1;
    this.offeredBytes += payload.length;
    if (this.maxPackets <= 0 || payload.length > this.maxBytes) return undefined;
    if (!this.qualifies(hash)) return undefined;
    const sample: PayloadSample = { streamKey: streamKey ?? `${sessionId}\u0000${direction}`, packetIndex, tUs, payload: this.copyOf(payload), hash };
    this.samples.push(sample);
    this.sampleBytes += payload.length;
    while (this.samples.length > this.maxPackets || this.sampleBytes > this.maxBytes) this.raiseLevel();
    return this.qualifies(hash) ? sample : undefined;
  }

  /**
   * A copy of `bytes` carved from the current copy block (a view: one buffer per
   * block, not per datagram); a new block when it is full. A block lives while a
   * sample copied into it does: {@link raiseLevel} moves the kept copies into
   * fresh blocks, so the blocks in use stay within about twice the byte bound.
   */
  private copyOf(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (this.copyBlockUsed + length > this.copyBlock.length) {
      const size = Math.min(SAMPLE_COPY_BLOCK_BYTES, this.maxBytes);
      if (length > size) return bytes.slice();
      this.copyBlock = new Uint8Array(size);
      this.copyBlockUsed = 0;
    }
    const start = this.copyBlockUsed;
    this.copyBlockUsed = start + length;
    const copy = this.copyBlock.subarray(start, start + length);
    copy.set(bytes);
    return copy;
  }

  /**
   * Adds another pass's sample (its datagrams' indices already placed): the
   * union in capture order, thinned to the first level at which it fits. Each
   * pass kept every datagram of its own at a level no higher than the union's
   * (its share fits wherever the union does), so the result is the sample one
   * pass over both would have kept.
   */
  mergeSamples(samples: readonly PayloadSample[], offered: number, offeredBytes: number, level: number): void {
    this.offered += offered;
    this.offeredBytes += offeredBytes;
    this.samples = [...this.samples, ...samples].sort((a, b) => a.packetIndex - b.packetIndex);
    this.sampleBytes = this.samples.reduce((total, sample) => total + sample.payload.length, 0);
    // Both at the higher of the two levels first (raiseLevel filters at the level it reaches).
    this.level = Math.max(this.level, level) - 1;
    this.raiseLevel();
    while (this.samples.length > this.maxPackets || this.sampleBytes > this.maxBytes) this.raiseLevel();
  }

  /** Probability with which each datagram was kept. */
  get rate(): number {
    return 2 ** -this.level;
  }

  private qualifies(hash: number): boolean {
    if (this.level > 32) return false;
    return this.level === 0 || (this.level === 32 ? hash === 0 : hash << (32 - this.level) === 0);
  }

  /** Goes one level up: drops the samples that no longer qualify and moves the kept copies into fresh blocks (the old ones become garbage). */
  private raiseLevel(): void {
    this.level += 1;
    const kept: PayloadSample[] = [];
    let bytes = 0;
    this.copyBlock = new Uint8Array(0);
    this.copyBlockUsed = 0;
    for (const sample of this.samples) {
      if (!this.qualifies(sample.hash ?? packetHash(sample.packetIndex, this.seed))) continue;
      sample.payload = this.copyOf(sample.payload);
      kept.push(sample);
      bytes += sample.payload.length;
    }
    this.samples = kept;
    this.sampleBytes = bytes;
  }
}
