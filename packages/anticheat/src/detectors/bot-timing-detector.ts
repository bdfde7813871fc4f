import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { decodeFloat, decodeFloats, EncodedFloatSchema, encodeFloat, encodeFloats, EvidencePacketsSchema, placePacketIndices } from "../state-encoding.js";
import type { AnticheatOptions } from "../options.js";
import { NumberRing } from "../ring-buffer.js";
import { coefficientOfVariation, modeCoverage } from "../robust-statistics.js";

const GAPS = 64;

/**
 * Saved state of a {@link BotTimingDetector}: the newest action gaps, the last
 * action's claimed time, and the first action of the pass (claimed µs,
 * capture µs, packet index) — a rotation cut recovers the gap across it from
 * these, so the gaps are exactly one pass's.
 */
export const BotTimingStateSchema = Type.Object({
  gapsMs: Type.Array(EncodedFloatSchema, { maxItems: GAPS }),
  lastActionUs: EncodedFloatSchema,
  firstUs: EncodedFloatSchema,
  lastUs: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
  firstAction: Type.Union([Type.Tuple([EncodedFloatSchema, EncodedFloatSchema, Type.Integer({ minimum: 0 })]), Type.Null()]),
});

/** See {@link BotTimingStateSchema}. */
export type BotTimingState = Static<typeof BotTimingStateSchema>;

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
  /** The pass's first action: claimed µs, capture µs, packet index (for a rotation cut). */
  private firstAction: [number, number, number] | undefined;

  constructor(private readonly options: AnticheatOptions) {
    this.actionTypes = options.actionTypes === undefined ? undefined : new Set(options.actionTypes);
  }

  onClientMessage(message: GameMessage, claimedUs: number | undefined): void {
    const isAction = this.actionTypes === undefined ? message.roles.targetTimeUs !== undefined : this.actionTypes.has(message.type);
    if (!isAction) return;
    const tUs = claimedUs ?? message.tUs;
    if (tUs <= this.lastActionUs) return;
    if (this.firstAction === undefined) this.firstAction = [tUs, message.tUs, message.packetIndex];
    const gapMs = (tUs - this.lastActionUs) / 1000;
    this.lastActionUs = tUs;
    if (!(gapMs >= this.options.botMinActionGapMs)) return;
    this.gapsMs.push(gapMs);
    if (Number.isNaN(this.firstUs)) this.firstUs = message.tUs;
    this.lastUs = message.tUs;
    addEvidencePacket(this.packetIndices, message.packetIndex);
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): BotTimingState {
    const first = this.firstAction;
    return {
      gapsMs: encodeFloats(this.gapsMs.toArray()),
      lastActionUs: encodeFloat(this.lastActionUs),
      firstUs: encodeFloat(this.firstUs),
      lastUs: encodeFloat(this.lastUs),
      packetIndices: [...this.packetIndices],
      firstAction: first === undefined ? null : [encodeFloat(first[0]), encodeFloat(first[1]), first[2]],
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: BotTimingState, packetIndexOffset: number): void {
    for (const gap of decodeFloats(state.gapsMs)) this.gapsMs.push(gap);
    this.lastActionUs = decodeFloat(state.lastActionUs);
    this.firstUs = decodeFloat(state.firstUs);
    this.lastUs = decodeFloat(state.lastUs);
    this.packetIndices.push(...placePacketIndices(state.packetIndices, packetIndexOffset));
    const first = state.firstAction;
    this.firstAction = first === null ? undefined : [decodeFloat(first[0]), decodeFloat(first[1]), first[2] + packetIndexOffset];
  }

  /** Continues with the same session's detector after a rotation cut: the gap across the cut is added, then the later pass's gaps (exact). */
  continueWith(later: BotTimingDetector): void {
    const first = later.firstAction;
    if (first === undefined) return;
    if (this.firstAction === undefined) this.firstAction = first;
    if (first[0] > this.lastActionUs) {
      const gapMs = (first[0] - this.lastActionUs) / 1000;
      if (gapMs >= this.options.botMinActionGapMs) {
        this.gapsMs.push(gapMs);
        if (Number.isNaN(this.firstUs)) this.firstUs = first[1];
        this.lastUs = first[1];
        addEvidencePacket(this.packetIndices, first[2]);
      }
    }
    for (let index = 0; index < later.gapsMs.length; index++) this.gapsMs.push(later.gapsMs.at(index));
    if (Number.isNaN(this.firstUs)) this.firstUs = later.firstUs;
    if (!Number.isNaN(later.lastUs)) this.lastUs = later.lastUs;
    for (const packet of later.packetIndices) addEvidencePacket(this.packetIndices, packet);
    this.lastActionUs = later.lastActionUs;
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
