/** Tuning of the rolling detectors of `tickscope watch` (every field has a default). */
export interface WatchDetectorOptions {
  /** Rolling window for rates and counts, ms (`--window`, default 10 000). */
  windowMs: number;
  /** RTT samples kept per (session, direction, method) for the median+MAD baseline (default 128). */
  baselineSamples: number;
  /** Samples needed before spikes are judged (default 16). */
  minBaselineSamples: number;
  /** A sample is high above `median + max(madFactor × 1.4826 × MAD, minSpikeExcessMs)` (default 6). */
  madFactor: number;
  /** Minimum excess over the median for a spike, ms (default 25). */
  minSpikeExcessMs: number;
  /** Consecutive high samples that confirm a spike (default 3). */
  confirmSamples: number;
  /** Consecutive normal samples that end a spike (default 10). */
  recoverySamples: number;
  /** Window of a loss burst, ms (default 1000). */
  burstWindowMs: number;
  /** Lost packets within `burstWindowMs` that make a burst (default 8). */
  minBurstLostPackets: number;
  /** Loss ratio within `burstWindowMs` that makes a burst (default 0.1). */
  minBurstLossRatio: number;
  /** Send-clock rate over arrival rate above which a clock is suspicious (default 1.1). */
  clockRateThreshold: number;
  /** Shortest span over which the clock rate is judged, ms (default 2000; at most half the window). */
  minClockSpanMs: number;
  /** Decode anomalies of one session within the window that raise a suspicion (default 3). */
  minDecodeAnomalies: number;
  /** Quiet time before the same cheat suspicion of a session is raised again, ms (default 30 000). */
  cheatCooldownMs: number;
  /** Sessions without packets for this long are forgotten, ms (default 60 000). */
  sessionIdleMs: number;
  /** Sessions tracked at most; the least recently active is forgotten first (default 10 000). */
  maxSessions: number;
  /**
   * Capture time each run of batch anticheat's detectors covers, ms (default
   * 60 000: bot timing needs 15 action gaps; a new run starts every half of it; 0 turns them off and leaves the
   * clock-rate and decode-anomaly suspicions only). See `AnticheatEpochs`.
   */
  anticheatEpochMs: number;
}

/** Defaults of {@link WatchDetectorOptions}. */
export const DEFAULT_WATCH_DETECTOR_OPTIONS: Readonly<WatchDetectorOptions> = {
  windowMs: 10_000,
  baselineSamples: 128,
  minBaselineSamples: 16,
  madFactor: 6,
  minSpikeExcessMs: 25,
  confirmSamples: 3,
  recoverySamples: 10,
  burstWindowMs: 1000,
  minBurstLostPackets: 8,
  minBurstLossRatio: 0.1,
  clockRateThreshold: 1.1,
  minClockSpanMs: 2000,
  minDecodeAnomalies: 3,
  cheatCooldownMs: 30_000,
  sessionIdleMs: 60_000,
  maxSessions: 10_000,
  anticheatEpochMs: 60_000,
};

/** Fills in defaults. */
export function resolveWatchDetectorOptions(options: Partial<WatchDetectorOptions> = {}): WatchDetectorOptions {
  const resolved = { ...DEFAULT_WATCH_DETECTOR_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof WatchDetectorOptions, number | undefined][]) {
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
