import type { DecodeAnomaly, GameMessage } from "@tickscope/core";
import type { CheatKind } from "./cheat-kind.js";
import type { SessionTimeline } from "./session-timeline.js";

/** Packet indices kept as evidence per finding. */
export const MAX_EVIDENCE_PACKETS = 12;

/** What a detector found in one session, before the analyzer adds ids, player and mitigation. */
export interface DetectorEvent {
  kind: CheatKind;
  startUs: number;
  endUs: number;
  /** 0..1. */
  confidence: number;
  summary: string;
  values: Record<string, number | string | boolean>;
  packetIndices: number[];
}

/**
 * One detector's state for one session. The analyzer creates one per session
 * and detector; every method must run in bounded time and memory.
 */
export interface SessionDetector {
  /** Client-to-server message (after the timeline saw it); `claimedUs` is its claimed send time. */
  onClientMessage?(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void;
  /** Decode anomaly in the client-to-server direction. */
  onClientAnomaly?(anomaly: DecodeAnomaly): void;
  /** End of the session: appends this detector's events. */
  finish(timeline: SessionTimeline, events: DetectorEvent[]): void;
}

/** Adds a packet index to bounded evidence. */
export function addEvidencePacket(list: number[], packetIndex: number): void {
  if (list.length < MAX_EVIDENCE_PACKETS && list[list.length - 1] !== packetIndex) list.push(packetIndex);
}

/** Rounds a number for evidence (3 decimals). */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Combines independent confidences: 1 − Π(1 − p). */
export function combineConfidence(probabilities: readonly number[]): number {
  let miss = 1;
  for (const probability of probabilities) miss *= 1 - probability;
  return round3(Math.min(0.999, 1 - miss));
}
