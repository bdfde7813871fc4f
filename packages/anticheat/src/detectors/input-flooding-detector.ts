import { Type, type Static } from "@sinclair/typebox";
import { serialDifference, type GameMessage, type SerialNumber } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { CountSchema, decodeFloat, decodeSerial, EncodedFloatSchema, EncodedSerialSchema, encodeFloat, encodeSerial, EvidencePacketsSchema, placePacketIndices } from "../state-encoding.js";

/**
 * Saved state of an {@link InputFloodingDetector}: counts, the open claimed
 * second, and the pass's first claimed second (index, commands, whether it was
 * over budget) so a rotation cut inside a second counts that second's
 * commands together, as one pass does. A tick split by the cut is counted in
 * two parts.
 */
export const InputFloodingStateSchema = Type.Object({
  windowIndex: EncodedFloatSchema,
  windowCount: CountSchema,
  windowFirstUs: EncodedFloatSchema,
  currentTick: EncodedSerialSchema,
  tickCount: CountSchema,
  violations: CountSchema,
  tickViolations: CountSchema,
  maxRate: CountSchema,
  maxPerTick: CountSchema,
  firstUs: EncodedFloatSchema,
  lastUs: EncodedFloatSchema,
  lastMessageUs: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
  headIndex: EncodedFloatSchema,
  headCount: CountSchema,
  headViolated: Type.Boolean(),
});

/** See {@link InputFloodingStateSchema}. */
export type InputFloodingState = Static<typeof InputFloodingStateSchema>;
import type { AnticheatOptions } from "../options.js";

/**
 * Input flooding: commands (client messages with an input role) per second of
 * the client's claimed clock above the server's budget, and commands per
 * claimed tick above the per-tick budget. Counting in the claimed clock keeps
 * lag-switch flushes and network bursts (which compress arrivals, not claimed
 * times) from looking like floods; a fast clock is the speedhack detector's job.
 */
export class InputFloodingDetector implements SessionDetector {
  private windowIndex = Number.NaN;
  private windowCount = 0;
  private windowFirstUs = 0;
  /** The tick being counted (exact; NaN before the first). */
  private currentTick: SerialNumber = Number.NaN;
  private tickCount = 0;
  private violations = 0;
  private tickViolations = 0;
  private maxRate = 0;
  private maxPerTick = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private lastMessageUs = Number.NaN;
  private readonly packetIndices: number[] = [];
  /** The pass's first closed claimed second: index, commands, over budget (for a rotation cut). */
  private headIndex = Number.NaN;
  private headCount = 0;
  private headViolated = false;

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined): void {
    const roles = message.roles;
    if (roles.inputSequence === undefined && roles.inputCount === undefined) return;
    this.lastMessageUs = message.tUs;
    if (claimedUs !== undefined) {
      const index = Math.floor(claimedUs / 1_000_000);
      if (index > this.windowIndex || Number.isNaN(this.windowIndex)) {
        this.closeWindow(message.tUs);
        this.windowIndex = index;
        this.windowCount = 0;
        this.windowFirstUs = message.tUs;
      }
      if (index === this.windowIndex) this.windowCount += 1;
    }
    const tick = roles.tick;
    if (tick !== undefined) {
      if (tick !== this.currentTick) {
        // Serial order (exact for wide ticks, and wrap-safe when the ticks were not unwrapped).
        if (typeof this.currentTick === "number" && Number.isNaN(this.currentTick) ? true : serialDifference(this.currentTick, tick, roles.tickBits) > 0) {
          this.currentTick = tick;
          this.tickCount = 0;
        } else return;
      }
      this.tickCount += 1;
      if (this.tickCount > this.options.maxCommandsPerTick) {
        if (this.tickCount === this.options.maxCommandsPerTick + 1) this.tickViolations += 1;
        this.maxPerTick = Math.max(this.maxPerTick, this.tickCount);
        this.mark(message.tUs, message.packetIndex);
      }
    }
  }

  private mark(tUs: number, packetIndex: number): void {
    if (Number.isNaN(this.firstUs)) this.firstUs = tUs;
    this.lastUs = tUs;
    addEvidencePacket(this.packetIndices, packetIndex);
  }

  private closeWindow(tUs: number): void {
    if (Number.isNaN(this.windowIndex)) return;
    const violated = this.windowCount > this.options.maxCommandsPerSecond;
    if (Number.isNaN(this.headIndex)) {
      this.headIndex = this.windowIndex;
      this.headCount = this.windowCount;
      this.headViolated = violated;
    }
    if (violated) {
      this.violations += 1;
      this.maxRate = Math.max(this.maxRate, this.windowCount);
      if (Number.isNaN(this.firstUs)) this.firstUs = this.windowFirstUs;
      this.lastUs = tUs;
    }
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): InputFloodingState {
    return {
      windowIndex: encodeFloat(this.windowIndex),
      windowCount: this.windowCount,
      windowFirstUs: encodeFloat(this.windowFirstUs),
      currentTick: encodeSerial(this.currentTick),
      tickCount: this.tickCount,
      violations: this.violations,
      tickViolations: this.tickViolations,
      maxRate: this.maxRate,
      maxPerTick: this.maxPerTick,
      firstUs: encodeFloat(this.firstUs),
      lastUs: encodeFloat(this.lastUs),
      lastMessageUs: encodeFloat(this.lastMessageUs),
      packetIndices: [...this.packetIndices],
      headIndex: encodeFloat(this.headIndex),
      headCount: this.headCount,
      headViolated: this.headViolated,
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: InputFloodingState, packetIndexOffset: number): void {
    this.windowIndex = decodeFloat(state.windowIndex);
    this.windowCount = state.windowCount;
    this.windowFirstUs = decodeFloat(state.windowFirstUs);
    this.currentTick = decodeSerial(state.currentTick);
    this.tickCount = state.tickCount;
    this.violations = state.violations;
    this.tickViolations = state.tickViolations;
    this.maxRate = state.maxRate;
    this.maxPerTick = state.maxPerTick;
    this.firstUs = decodeFloat(state.firstUs);
    this.lastUs = decodeFloat(state.lastUs);
    this.lastMessageUs = decodeFloat(state.lastMessageUs);
    this.packetIndices.push(...placePacketIndices(state.packetIndices, packetIndexOffset));
    this.headIndex = decodeFloat(state.headIndex);
    this.headCount = state.headCount;
    this.headViolated = state.headViolated;
  }

  /**
   * Continues with the same session's detector after a rotation cut. A claimed
   * second the cut fell into is counted once with the commands of both passes
   * (as one pass counts it); other seconds and counts add.
   */
  continueWith(later: InputFloodingDetector): void {
    if (Number.isNaN(later.lastMessageUs)) return;
    const budget = this.options.maxCommandsPerSecond;
    const laterClosed = !Number.isNaN(later.headIndex);
    const laterFirstIndex = laterClosed ? later.headIndex : later.windowIndex;
    let violations = later.violations;
    let maxRate = later.maxRate;
    let firstUs = later.firstUs;
    const shared = !Number.isNaN(this.windowIndex) && this.windowIndex === laterFirstIndex;
    if (shared && laterClosed) {
      const combined = this.windowCount + later.headCount;
      if (combined > budget) {
        if (!later.headViolated) {
          violations += 1;
          if (Number.isNaN(firstUs) || this.windowFirstUs < firstUs) firstUs = this.windowFirstUs;
        }
        maxRate = Math.max(maxRate, combined);
      }
    } else if (!shared) {
      this.closeWindow(this.lastMessageUs);
    }
    if (Number.isNaN(this.headIndex)) {
      this.headIndex = later.headIndex;
      this.headCount = later.headCount;
      this.headViolated = later.headViolated;
    }
    this.violations += violations;
    this.maxRate = Math.max(this.maxRate, maxRate);
    this.tickViolations += later.tickViolations;
    this.maxPerTick = Math.max(this.maxPerTick, later.maxPerTick);
    if (Number.isNaN(this.firstUs)) this.firstUs = firstUs;
    if (!Number.isNaN(later.lastUs)) this.lastUs = later.lastUs;
    for (const packet of later.packetIndices) addEvidencePacket(this.packetIndices, packet);
    const openShared = shared && !laterClosed;
    this.windowCount = openShared ? this.windowCount + later.windowCount : later.windowCount;
    if (!openShared) this.windowFirstUs = later.windowFirstUs;
    this.windowIndex = later.windowIndex;
    this.currentTick = later.currentTick;
    this.tickCount = later.tickCount;
    this.lastMessageUs = later.lastMessageUs;
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    this.closeWindow(this.lastMessageUs);
    const windows = this.violations;
    const ticks = this.tickViolations;
    if (windows < this.options.floodingMinViolations && ticks < this.options.floodingMinViolations * 10) return;
    const ratio = this.maxRate / this.options.maxCommandsPerSecond;
    const confidence = round3(Math.min(0.99, 0.6 + 0.05 * Math.min(windows, 6) + (ratio > 1.5 ? 0.1 : 0)));
    events.push({
      kind: "inputFlooding",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence,
      summary: `Client sent up to ${this.maxRate} commands per claimed second (budget ${this.options.maxCommandsPerSecond}) in ${windows} windows; ${ticks} ticks over ${this.options.maxCommandsPerTick} commands.`,
      values: {
        overBudgetWindows: windows,
        maxCommandsPerSecond: this.maxRate,
        budgetCommandsPerSecond: this.options.maxCommandsPerSecond,
        overBudgetTicks: ticks,
        maxCommandsPerTick: this.maxPerTick,
      },
      packetIndices: [...this.packetIndices],
    });
  }
}
