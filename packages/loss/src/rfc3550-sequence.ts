import { serialResidue, type SerialNumber } from "@tickscope/core";

/** Saved state of an {@link Rfc3550SequenceCounter}. */
export interface Rfc3550State {
  bits: number;
  started: boolean;
  baseSequence: number;
  maxSequence: number;
  badSequence: number;
  cycles: number;
  received: number;
}

/**
 * RFC 3550 appendix A.1/A.3 sequence accounting, generalized to any sequence
 * width: `expected = extended highest − base + 1`, `lost = expected − received`
 * where `received` counts every packet, duplicates included (so `lost` goes
 * negative with duplicates, exactly as tshark's `-z rtp,streams` shows it).
 * Probation is not applied (tshark does not apply it either).
 */
export class Rfc3550SequenceCounter {
  private readonly modulus: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private started = false;
  private baseSequence = 0;
  private maxSequence = 0;
  private badSequence = 0;
  private cycles = 0;
  /** Packets counted (duplicates included). */
  received = 0;

  private readonly bits: number;

  /** `sequenceBits` = width of the sequence field (16 for RTP), 1–32. */
  constructor(sequenceBits = 16) {
    this.bits = sequenceBits;
    this.modulus = 2 ** sequenceBits;
    this.maxDropout = Math.min(3000, Math.floor(this.modulus / 4));
    this.maxMisorder = Math.min(100, Math.floor(this.modulus / 8));
  }

  private initialize(sequence: number): void {
    this.baseSequence = sequence;
    this.maxSequence = sequence;
    this.badSequence = this.modulus + 1;
    this.cycles = 0;
    this.received = 0;
  }

  /**
   * Accounts one packet (its exact wire sequence, reduced to the counter's
   * width). Returns false when the packet was discarded as a suspected jump
   * (A.1 `bad_seq`).
   */
  update(wireSequence: SerialNumber): boolean {
    // A plain in-range integer (every sequence of the width the counter was made for) is its own residue.
    const sequence =
      typeof wireSequence === "number" && wireSequence >= 0 && wireSequence < this.modulus && (wireSequence | 0) === wireSequence
        ? wireSequence
        : serialResidue(wireSequence, this.bits);
    if (!this.started) {
      this.started = true;
      this.initialize(sequence);
      this.received = 1;
      return true;
    }
    // Both residues lie in [0, modulus): the difference modulo the width is one conditional add (what A.1's unsigned subtraction does).
    let delta = sequence - this.maxSequence;
    if (delta < 0) delta += this.modulus;
    if (delta < this.maxDropout) {
      if (sequence < this.maxSequence) this.cycles += this.modulus;
      this.maxSequence = sequence;
    } else if (delta <= this.modulus - this.maxMisorder) {
      if (sequence === this.badSequence) {
        this.initialize(sequence);
      } else {
        this.badSequence = (sequence + 1) % this.modulus;
        return false;
      }
    }
    // else: duplicate or misordered packet.
    this.received += 1;
    return true;
  }

  /** The counter as plain data. */
  saveState(): Rfc3550State {
    return {
      bits: this.bits,
      started: this.started,
      baseSequence: this.baseSequence,
      maxSequence: this.maxSequence,
      badSequence: this.badSequence,
      cycles: this.cycles,
      received: this.received,
    };
  }

  /** A counter from {@link Rfc3550SequenceCounter.saveState}. */
  static fromState(state: Rfc3550State): Rfc3550SequenceCounter {
    const counter = new Rfc3550SequenceCounter(state.bits);
    for (const value of [state.baseSequence, state.maxSequence]) {
      if (!Number.isInteger(value) || value < 0 || value >= counter.modulus) throw new RangeError(`RFC 3550 sequence ${value} is outside the ${state.bits}-bit space`);
    }
    counter.started = state.started;
    counter.baseSequence = state.baseSequence;
    counter.maxSequence = state.maxSequence;
    counter.badSequence = state.badSequence;
    counter.cycles = state.cycles;
    counter.received = state.received;
    return counter;
  }

  /** Extended highest sequence received (cycles + max). */
  get extendedHighest(): number {
    return this.cycles + this.maxSequence;
  }

  /** expected = extended highest − base + 1 (0 before any packet). */
  get expected(): number {
    return this.started ? this.extendedHighest - this.baseSequence + 1 : 0;
  }

  /** expected − received (negative with duplicates). */
  get lost(): number {
    return this.expected - this.received;
  }
}
