import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import { NumberRing } from "../ring-buffer.js";
import { coefficientOfVariation, modeCoverage } from "../robust-statistics.js";

const GAPS = 64;

/**
 * Bot-like timing: gaps between player actions (messages of `actionTypes`,
 * by default those carrying a `targetTime` role) in the client's claimed
 * clock. Human gaps spread widely; a script's are machine-regular (tiny
 * coefficient of variation) or fall into a few narrow modes. Gaps shorter
 * than `botMinActionGapMs` are automatic fire within one burst and ignored.
 */
export class BotTimingDetector implements SessionDetector {
  private readonly gapsMs = new NumberRing(GAPS);
  private readonly actionTypes: ReadonlySet<string> | undefined;
  private lastActionUs = Number.NaN;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private readonly packetIndices: number[] = [];

  constructor(private readonly options: AnticheatOptions) {
    this.actionTypes = options.actionTypes === undefined ? undefined : new Set(options.actionTypes);
  }

  onClientMessage(message: GameMessage, claimedUs: number | undefined): void {
    const isAction = this.actionTypes === undefined ? message.roles.targetTimeUs !== undefined : this.actionTypes.has(message.type);
    if (!isAction) return;
    const tUs = claimedUs ?? message.tUs;
    if (tUs <= this.lastActionUs) return;
    const gapMs = (tUs - this.lastActionUs) / 1000;
    this.lastActionUs = tUs;
    if (!(gapMs >= this.options.botMinActionGapMs)) return;
    this.gapsMs.push(gapMs);
    if (Number.isNaN(this.firstUs)) this.firstUs = message.tUs;
    this.lastUs = message.tUs;
    addEvidencePacket(this.packetIndices, message.packetIndex);
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    if (this.gapsMs.length < this.options.botMinGaps) return;
    const gaps = this.gapsMs.toArray();
    const variation = coefficientOfVariation(gaps);
    const coverage = modeCoverage(gaps, 3, this.options.botModeRelativeWidth, this.options.botModeMinWidthMs);
    const regular = variation < this.options.botMaxCoefficientOfVariation;
    const multimodal = coverage >= this.options.botModeFraction;
    if (!regular && !multimodal) return;
    events.push({
      kind: "botTiming",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence: round3(regular ? 0.8 : Math.min(0.9, 0.6 + (coverage - this.options.botModeFraction) * 1.5)),
      summary: regular
        ? `Action gaps are machine-regular: coefficient of variation ${round3(variation)} over ${gaps.length} gaps (human play is far above ${this.options.botMaxCoefficientOfVariation}).`
        : `${round3(coverage * 100)}% of ${gaps.length} action gaps fall into three narrow timing modes (scripted timing).`,
      values: {
        gaps: gaps.length,
        coefficientOfVariation: round3(variation),
        threeModeCoverage: round3(coverage),
        regular,
        multimodal,
      },
      packetIndices: [...this.packetIndices],
    });
  }
}
