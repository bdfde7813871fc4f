import { serialDistance } from "./serial-number.js";
import type { WatchDetectorOptions } from "./watch-options.js";

/** A loss burst confirmed by {@link LossBurstDetector}. */
export interface LossBurst {
  /** First gap of the burst (capture time, µs). */
  startUs: number;
  /** Packets lost within the burst window. */
  lostPackets: number;
  /** Packets received within the burst window. */
  receivedPackets: number;
  /** `lost / (lost + received)` within the burst window. */
  lossRatio: number;
}

/** Buckets of the burst window. */
const BUCKETS = 10;
/** Recent sequence numbers remembered (for late arrivals and duplicates). */
const SEEN_RING = 1024;
/** A jump larger than this is a sequence reset, not loss. */
const MAX_GAP = 1000;

/**
 * Rolling loss-burst detector of one sequence space (session, direction,
 * channel): gaps in the sequence numbers, minus late arrivals, counted in ten
 * buckets spanning `burstWindowMs`. A burst starts when the window holds at
 * least `minBurstLostPackets` lost packets and `minBurstLossRatio` loss; it
 * ends when the window's loss drops under half the packet threshold.
 * Constant memory: fixed arrays only.
 */
export class LossBurstDetector {
  private readonly bucketIds = new Float64Array(BUCKETS).fill(-1);
  private readonly lost = new Int32Array(BUCKETS);
  private readonly received = new Int32Array(BUCKETS);
  private readonly firstLossUs = new Float64Array(BUCKETS);
  private readonly seen = new Uint8Array(SEEN_RING);
  private readonly bucketUs: number;
  private highest = -1;
  private lastPacketIndex = -1;
  private lastSequence = -1;
  /** Packets counted lost since the start (late arrivals subtracted). */
  totalLost = 0;
  /** Packets received since the start. */
  totalReceived = 0;
  /** True while a burst lasts. */
  inBurst = false;

  constructor(private readonly options: WatchDetectorOptions) {
    this.bucketUs = (options.burstWindowMs * 1000) / BUCKETS;
  }

  /**
   * Adds one sequence number seen at `tUs` in packet `packetIndex` (a datagram-level
   * sequence copied on several messages of a packet is counted once).
   */
  add(sequence: number, bits: number, tUs: number, packetIndex: number): LossBurst | undefined {
    if (packetIndex === this.lastPacketIndex && sequence === this.lastSequence) return undefined;
    this.lastPacketIndex = packetIndex;
    this.lastSequence = sequence;
    const bucketId = Math.floor(tUs / this.bucketUs);
    const slot = bucketId % BUCKETS;
    if (this.bucketIds[slot] !== bucketId) {
      this.bucketIds[slot] = bucketId;
      this.lost[slot] = 0;
      this.received[slot] = 0;
    }
    this.received[slot] += 1;
    this.totalReceived += 1;
    if (this.highest < 0) {
      this.highest = sequence;
      this.seen[sequence % SEEN_RING] = 1;
      return undefined;
    }
    const distance = serialDistance(this.highest, sequence, bits);
    if (distance > MAX_GAP || distance < -MAX_GAP) {
      this.highest = sequence;
      this.seen.fill(0);
      this.seen[sequence % SEEN_RING] = 1;
      return undefined;
    }
    if (distance <= 0) {
      const seenSlot = sequence % SEEN_RING;
      if (distance < 0 && -distance < SEEN_RING && this.seen[seenSlot] === 0) {
        this.seen[seenSlot] = 1;
        this.lost[slot] -= 1;
        this.totalLost -= 1;
      }
      return this.update(bucketId, tUs);
    }
    const modulus = bits >= 53 ? Number.POSITIVE_INFINITY : 2 ** bits;
    for (let step = 1; step < distance && step <= SEEN_RING; step += 1) this.seen[(this.highest + step) % modulus % SEEN_RING] = 0;
    this.seen[sequence % SEEN_RING] = 1;
    this.highest = sequence;
    if (distance > 1) {
      if (this.lost[slot] <= 0) this.firstLossUs[slot] = tUs;
      this.lost[slot] += distance - 1;
      this.totalLost += distance - 1;
    }
    return this.update(bucketId, tUs);
  }

  private update(bucketId: number, tUs: number): LossBurst | undefined {
    let lost = 0;
    let received = 0;
    let startUs = tUs;
    for (let slot = 0; slot < BUCKETS; slot += 1) {
      if (this.bucketIds[slot]! <= bucketId - BUCKETS) continue;
      lost += this.lost[slot]!;
      received += this.received[slot]!;
      if (this.lost[slot]! > 0 && this.firstLossUs[slot]! < startUs) startUs = this.firstLossUs[slot]!;
    }
    if (lost < 0) lost = 0;
    const options = this.options;
    if (this.inBurst) {
      if (lost * 2 < options.minBurstLostPackets) this.inBurst = false;
      return undefined;
    }
    const lossRatio = lost / (lost + received);
    if (lost >= options.minBurstLostPackets && lossRatio >= options.minBurstLossRatio) {
      this.inBurst = true;
      return { startUs, lostPackets: lost, receivedPackets: received, lossRatio };
    }
    return undefined;
  }
}
