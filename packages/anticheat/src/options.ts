import { ErrorCode, TickscopeError } from "@tickscope/core";

/**
 * Thresholds of the anticheat detectors. Every field has a default
 * ({@link DEFAULT_ANTICHEAT_OPTIONS}); the defaults are the ones the
 * evaluation in the README measured.
 */
export interface AnticheatOptions {
  /** Largest tolerated |claimed-clock rate − 1| before a speedhack is suspected (0.02 = 2%, far above crystal drift). */
  clockRateTolerance: number;
  /** Lower-envelope points (one per second of arrival time) per speedhack regression window. */
  speedhackWindowPoints: number;
  /** Evaluations over tolerance needed before a speedhack finding (sustained, not one bad window). */
  speedhackMinViolations: number;
  /** Tick length used when a message has a `tick` role but no `sendTime`, µs. */
  tickIntervalUs: number;
  /** Server command budget: commands (messages with an input role) per second of claimed time. */
  maxCommandsPerSecond: number;
  /** Server command budget: commands per claimed tick. */
  maxCommandsPerTick: number;
  /** Over-budget one-second windows needed before an input-flooding finding. */
  floodingMinViolations: number;
  /** Outgoing silence that opens a lag-switch candidate, ms. */
  lagSwitchMinGapMs: number;
  /** Longest arrival window after the silence in which the flush is collected (it ends earlier when messages created after the silence arrive), ms. */
  lagSwitchFlushWindowMs: number;
  /** Messages with old send times needed in the flush burst. */
  lagSwitchMinFlushMessages: number;
  /** Fraction of the silence the oldest flushed message must be old by. */
  lagSwitchMinAgeFraction: number;
  /** Fraction of the server packets sent during the silence the held messages must acknowledge (client kept receiving). */
  lagSwitchMinAckFraction: number;
  /** Silence needed when the protocol has no ack role to tell one-way from two-way outages, ms. */
  lagSwitchNoAckMinGapMs: number;
  /** Held-and-flushed silences needed before a lag-switch finding (an honest uplink can stall once; a switch is used again and again). */
  lagSwitchMinEvents: number;
  /** Other sessions with an overlapping flush that make an event a shared (path) outage, not a lag switch. */
  lagSwitchSharedOutageSessions: number;
  /** Samples (measured RTTs, reported RTTs, per-type delays) needed before judging latency. */
  latencyMinSamples: number;
  /** Reported RTT above measured RTT by more than this (and the relative excess) is fake, ms. */
  fakeLatencyMinExcessMs: number;
  /** Reported RTT above measured RTT by more than this fraction of the measured RTT is fake. */
  fakeLatencyRelativeExcess: number;
  /**
   * Slowest smoothing of the client's own RTT estimate the reported-RTT check allows for: the
   * longest time constant of an exponential smoothing of the measured RTT (a TCP-like SRTT with
   * gain 1/8 updated once a second has ~7.5 s), ms. After a real rise of the measured RTT, a
   * report above the wire by no more than such a smoothing still carries is not fake latency;
   * 0 turns the allowance off.
   */
  reportedRttSmoothingMs: number;
  /** A message type delayed more than movement by this much (median of paired differences) is selectively delayed, ms. */
  selectiveDelayMinMs: number;
  /** Lag-compensation window of the server: rewinds beyond it are refused, ms. */
  maxRewindMs: number;
  /** Client interpolation delay the honest rewind includes, ms. */
  interpolationDelayMs: number;
  /** Tolerated median excess of the claimed rewind over interpolation + RTT/2, ms. */
  rewindToleranceMs: number;
  /** Fraction of actions beyond `maxRewindMs` that makes a finding on its own. */
  rewindMaxExceedFraction: number;
  /** Actions with a rewind needed before judging rewinds. */
  rewindMinSamples: number;
  /** Maximum movement speed, game units per second. */
  maxSpeedUnitsPerSecond: number;
  /** Tolerance factor on the maximum speed (quantization, server correction). */
  speedToleranceFactor: number;
  /** Window over which the straight-line speed is measured, ms. */
  movementWindowMs: number;
  /** A jump larger than this within one message is a teleport, game units. */
  teleportDistance: number;
  /** Speed violations needed before a movement finding (a teleport is enough on its own). */
  movementMinViolations: number;
  /** |coordinate| beyond which a position is impossible, game units. */
  worldBound: number;
  /** Decode-anomaly codes (client to server) that count as tampering. */
  tamperingCodes: readonly string[];
  /** Anomalies or impossible values needed before a tampering finding. */
  tamperingMinEvents: number;
  /**
   * Client datagrams that decoded (verified, when the session has verified traffic)
   * needed before failures can be a player's tampering; fewer is a key or definition
   * problem of the input.
   */
  tamperingMinCleanDatagrams: number;
  /** Largest share of a session's client datagrams that may fail before it is a key or definition problem, not tampering (0..1). */
  tamperingMaxFailureFraction: number;
  /** A claimed clock running faster than this many times real time (or slower than its inverse) is a definition problem, not a speedhack. */
  maxPlausibleClockRate: number;
  /** A share of sequenced client datagrams above this reusing sequence numbers is a definition problem (the field is no sequence), not replay (0..1). */
  maxPlausibleReplayFraction: number;
  /** Sequence numbers older than the newest by more than this are stale replays (packets). */
  replayWindow: number;
  /** A byte-identical repeat within this time of the original is a network duplicate, not a replay, ms. */
  duplicateWindowMs: number;
  /** Message types treated as player actions for bot timing (default: messages with a `targetTime` role). */
  actionTypes: readonly string[] | undefined;
  /** Gaps between actions shorter than this are within one burst (automatic fire) and ignored, ms. */
  botMinActionGapMs: number;
  /** Action gaps needed before judging timing. */
  botMinGaps: number;
  /** Coefficient of variation of action gaps below which timing is machine-regular. */
  botMaxCoefficientOfVariation: number;
  /** Fraction of gaps within three narrow modes above which timing is scripted (multimodal). */
  botModeFraction: number;
  /** Relative half-width of a timing mode (and at least `botModeMinWidthMs`). */
  botModeRelativeWidth: number;
  /** Minimum half-width of a timing mode, ms. */
  botModeMinWidthMs: number;
  /** Player score at or above which the verdict is `suspicious`. */
  suspiciousScore: number;
  /** Player score at or above which the verdict is `cheating`. */
  cheatingScore: number;
  /** Findings kept per session and detector kind (evidence stays bounded). */
  maxEventsPerSession: number;
  /** Protocol definition (plain object) to audit; omitted = no audit. */
  protocol: unknown;
}

/** Default thresholds (the ones the README's evaluation measured). */
export const DEFAULT_ANTICHEAT_OPTIONS: Readonly<AnticheatOptions> = Object.freeze({
  clockRateTolerance: 0.02,
  speedhackWindowPoints: 20,
  speedhackMinViolations: 5,
  tickIntervalUs: 1_000_000 / 60,
  maxCommandsPerSecond: 90,
  maxCommandsPerTick: 2,
  floodingMinViolations: 3,
  lagSwitchMinGapMs: 450,
  lagSwitchFlushWindowMs: 1_000,
  lagSwitchMinFlushMessages: 3,
  lagSwitchMinAgeFraction: 0.5,
  lagSwitchMinAckFraction: 0.5,
  lagSwitchNoAckMinGapMs: 1_000,
  lagSwitchMinEvents: 2,
  lagSwitchSharedOutageSessions: 3,
  latencyMinSamples: 10,
  fakeLatencyMinExcessMs: 40,
  fakeLatencyRelativeExcess: 0.3,
  reportedRttSmoothingMs: 10_000,
  selectiveDelayMinMs: 30,
  maxRewindMs: 500,
  interpolationDelayMs: 100,
  rewindToleranceMs: 60,
  rewindMaxExceedFraction: 0.2,
  rewindMinSamples: 8,
  maxSpeedUnitsPerSecond: 10,
  speedToleranceFactor: 1.15,
  movementWindowMs: 500,
  teleportDistance: 25,
  movementMinViolations: 2,
  worldBound: 1e6,
  tamperingCodes: Object.freeze(["E_VALUE_OUT_OF_RANGE", "E_LENGTH_EXCEEDED", "E_DECRYPT_FAILED"]),
  tamperingMinEvents: 1,
  tamperingMinCleanDatagrams: 20,
  tamperingMaxFailureFraction: 0.5,
  maxPlausibleClockRate: 20,
  maxPlausibleReplayFraction: 0.2,
  replayWindow: 128,
  duplicateWindowMs: 500,
  actionTypes: undefined,
  botMinActionGapMs: 150,
  botMinGaps: 15,
  botMaxCoefficientOfVariation: 0.08,
  botModeFraction: 0.8,
  botModeRelativeWidth: 0.03,
  botModeMinWidthMs: 18,
  suspiciousScore: 0.5,
  cheatingScore: 0.9,
  maxEventsPerSession: 32,
  protocol: undefined,
});

/** Merges user options over the defaults and validates them (typed error on nonsense). */
export function resolveAnticheatOptions(options: Partial<AnticheatOptions> = {}): AnticheatOptions {
  const resolved: AnticheatOptions = { ...DEFAULT_ANTICHEAT_OPTIONS, ...options };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value === "number" && (!Number.isFinite(value) || value < 0)) {
      throw new TickscopeError(ErrorCode.invalidOption, `anticheat option ${key} must be a finite number >= 0, got ${value}`);
    }
  }
  if (resolved.speedhackWindowPoints < 4) {
    throw new TickscopeError(ErrorCode.invalidOption, "anticheat option speedhackWindowPoints must be >= 4");
  }
  if (resolved.cheatingScore < resolved.suspiciousScore) {
    throw new TickscopeError(ErrorCode.invalidOption, "anticheat option cheatingScore must be >= suspiciousScore");
  }
  return resolved;
}
