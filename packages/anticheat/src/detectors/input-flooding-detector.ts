import { serialDifference, type GameMessage, type SerialNumber } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
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
    if (this.windowCount > this.options.maxCommandsPerSecond) {
      this.violations += 1;
      this.maxRate = Math.max(this.maxRate, this.windowCount);
      if (Number.isNaN(this.firstUs)) this.firstUs = this.windowFirstUs;
      this.lastUs = tUs;
    }
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
