import { Type, type TSchema } from "@sinclair/typebox";

/**
 * TypeBox schemas of the per-analysis settings a user may write in
 * `tickscope.config.json` → `analyses.<name>`. The analysis packages declare
 * their options as TypeScript interfaces only (they do not depend on TypeBox),
 * so the command line states here what JSON may carry: every key typed, with
 * bounds that keep memory and loops finite, unknown keys rejected.
 */

const MAX_MILLISECONDS = 86_400_000; // a day
const MAX_COUNT = 10_000_000;

/** A whole number between `minimum` and `maximum`. */
function integer(minimum: number, maximum: number, description?: string): TSchema {
  return Type.Integer({ minimum, maximum, ...(description === undefined ? {} : { description }) });
}

/** A duration in milliseconds, 0..a day. */
function milliseconds(description?: string): TSchema {
  return Type.Number({ minimum: 0, maximum: MAX_MILLISECONDS, ...(description === undefined ? {} : { description }) });
}

/** A number between 0 and 1. */
function fraction(): TSchema {
  return Type.Number({ minimum: 0, maximum: 1 });
}

/** A finite number between `minimum` and `maximum`. */
function number(minimum: number, maximum: number): TSchema {
  return Type.Number({ minimum, maximum });
}

function settings(properties: Record<string, TSchema>, description: string): TSchema {
  return Type.Object(
    Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])),
    { additionalProperties: false, description },
  );
}

const names = (maxItems = 256): TSchema => Type.Array(Type.String({ maxLength: 256 }), { maxItems });
const geoPoint = Type.Object({ latitude: number(-90, 90), longitude: number(-180, 180) }, { additionalProperties: false });

/** Core's `SpikeDetectorOptions` (latency and regions: the same spike detection). */
function spikeSettings(): TSchema {
  return settings(
    {
      marginMs: milliseconds(),
      madMultiplier: number(0, 1000),
      baselineWindowSamples: integer(3, 100_000),
      minSamples: integer(1, 10_000),
      warmupSamples: integer(0, 1_000_000),
      levelShiftAfterMs: milliseconds(),
      recomputeEvery: integer(1, 100_000),
    },
    "spike detection",
  );
}

/** `analyses.latency`: `LatencyAnalyzerOptions` of `@tickscope/latency`. */
export const LatencySettingsSchema = settings(
  {
    spike: spikeSettings(),
    causes: settings(
      { binMs: number(1, 60_000), historyBins: integer(1, 100_000), lookbackMs: milliseconds(), lookaheadMs: milliseconds(), maxMessageTypes: integer(1, 10_000) },
      "cause history",
    ),
    ack: settings({ windowSize: integer(1, 1 << 20), maxRttMs: milliseconds() }, "ack-based RTT"),
    echo: settings({ maxPendingPerSession: integer(1, 1_000_000), maxRttMs: milliseconds() }, "echo-based RTT"),
    sharedWindowMs: milliseconds(),
    minimumCauseScore: fraction(),
    maxSpikesPerSeries: integer(1, 1_000_000),
    maxMinutesPerSeries: integer(1, 1_000_000),
    timelinePoints: integer(2, 1_000_000),
    maxSessions: integer(1, MAX_COUNT),
    reportedRttLogKeys: names(64),
  },
  "latency analysis options",
);

/** `analyses.loss`: `LossAnalyzerOptions` of `@tickscope/loss`. */
export const LossSettingsSchema = settings(
  {
    vantagePoint: Type.Union(["auto", "receiver", "client", "server"].map((value) => Type.Literal(value))),
    windowSize: integer(1, 1 << 20),
    maxGap: integer(1, 1 << 30),
    pauseThresholdMs: milliseconds(),
    pauseMinimumSkipped: integer(1, 1 << 30),
    maxDuplicateDelayMs: milliseconds(),
    playoutDelayMs: milliseconds(),
    interpolationDelayMs: milliseconds(),
    confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    defaultSequenceBits: integer(1, 64),
    spacePerMessageType: Type.Boolean(),
    patternLength: integer(1, 32),
    seed: Type.Union([Type.Integer(), Type.String({ maxLength: 256 })]),
    simulationDatagrams: integer(1, MAX_COUNT),
    targetResidualInputLossRate: fraction(),
    targetBufferCoverage: fraction(),
    highLossRate: fraction(),
    maxEntitiesPerStream: integer(1, MAX_COUNT),
    maxStreams: integer(1, MAX_COUNT),
  },
  "loss analysis options",
);

/** `analyses.bandwidth`: `BandwidthOptions` of `@tickscope/bandwidth` (the re-encoder comes from the protocol). */
export const BandwidthSettingsSchema = settings(
  {
    tolerances: Type.Record(Type.String(), Type.Number({ minimum: 0 })),
    defaultTolerance: Type.Number({ minimum: 0 }),
    maxInterpolationError: Type.Number({ minimum: 0 }),
    relevanceRadius: Type.Number({ exclusiveMinimum: 0 }),
    budgetBitsPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1e12 }),
    mtuBytes: integer(68, 65_535),
    ipUdpHeaderBytes: integer(0, 1024),
    maxRetainedMessages: integer(0, MAX_COUNT),
    maxRetainedLeafValues: integer(0, 100_000_000),
    maxCompressionSampleBytes: integer(0, 1 << 30),
    maxCompressionSamplePackets: integer(0, MAX_COUNT),
    aggregationWindowMs: milliseconds(),
    baselineReferenceBits: integer(0, 64),
  },
  "bandwidth analysis options",
);

/** `analyses.anticheat`: `AnticheatOptions` of `@tickscope/anticheat` (the protocol to audit comes from `--protocol`). */
export const AnticheatSettingsSchema = settings(
  {
    clockRateTolerance: number(0, 10),
    speedhackWindowPoints: integer(4, 10_000),
    speedhackMinViolations: integer(0, 1_000_000),
    tickIntervalUs: number(1, 60e6),
    maxCommandsPerSecond: number(0, 1e6),
    maxCommandsPerTick: number(0, 1e6),
    floodingMinViolations: integer(0, 1_000_000),
    lagSwitchMinGapMs: milliseconds(),
    lagSwitchFlushWindowMs: milliseconds(),
    lagSwitchMinFlushMessages: integer(0, 1_000_000),
    lagSwitchMinAgeFraction: fraction(),
    lagSwitchMinAckFraction: fraction(),
    lagSwitchNoAckMinGapMs: milliseconds(),
    lagSwitchMinEvents: integer(0, 1_000_000),
    lagSwitchSharedOutageSessions: integer(0, MAX_COUNT),
    latencyMinSamples: integer(0, 1_000_000),
    fakeLatencyMinExcessMs: milliseconds(),
    fakeLatencyRelativeExcess: number(0, 1000),
    selectiveDelayMinMs: milliseconds(),
    maxRewindMs: milliseconds(),
    interpolationDelayMs: milliseconds(),
    rewindToleranceMs: milliseconds(),
    rewindMaxExceedFraction: fraction(),
    rewindMinSamples: integer(0, 1_000_000),
    maxSpeedUnitsPerSecond: number(0, 1e12),
    speedToleranceFactor: number(0, 1000),
    movementWindowMs: milliseconds(),
    teleportDistance: number(0, 1e12),
    movementMinViolations: integer(0, 1_000_000),
    worldBound: number(0, 1e15),
    tamperingCodes: names(),
    tamperingMinEvents: integer(0, 1_000_000),
    replayWindow: integer(0, 1 << 30),
    duplicateWindowMs: milliseconds(),
    actionTypes: names(),
    botMinActionGapMs: milliseconds(),
    botMinGaps: integer(0, 1_000_000),
    botMaxCoefficientOfVariation: number(0, 100),
    botModeFraction: fraction(),
    botModeRelativeWidth: number(0, 100),
    botModeMinWidthMs: milliseconds(),
    suspiciousScore: fraction(),
    cheatingScore: fraction(),
    maxEventsPerSession: integer(1, 1_000_000),
  },
  "anticheat thresholds",
);

const cloudRegion = Type.Object(
  {
    id: Type.String({ maxLength: 128 }),
    provider: Type.Union(["aws", "gcp", "azure"].map((value) => Type.Literal(value))),
    code: Type.String({ maxLength: 128 }),
    city: Type.String({ maxLength: 128 }),
    country: Type.String({ maxLength: 8 }),
    area: Type.Union(["na", "sa", "eu", "me", "af", "as", "oc"].map((value) => Type.Literal(value))),
    latitude: number(-90, 90),
    longitude: number(-180, 180),
  },
  { additionalProperties: false },
);
const catalogue = Type.Array(cloudRegion, { maxItems: 10_000 });
const namedPlace = Type.Object({ country: Type.Optional(Type.String({ maxLength: 8 })), city: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

/** `analyses.regions`: `RegionsAnalyzerOptions` of `@tickscope/regions` (JSON-expressible parts). */
export const RegionsSettingsSchema = settings(
  {
    regionOfSession: Type.Record(Type.String(), Type.String({ maxLength: 256 })),
    playerLocationOfSession: Type.Record(Type.String(), Type.Union([geoPoint, namedPlace])),
    maxRttSamplesPerSession: integer(1, 1_000_000),
    maxPendingEchoes: integer(1, 1_000_000),
    maxSequenceSpaces: integer(1, 4096),
    lossWindow: integer(1, 1 << 20),
    spike: spikeSettings(),
    maxSpikesPerSeries: integer(1, 1_000_000),
    reportedRttLogKeys: names(64),
    ack: settings({ windowSize: integer(1, 1 << 20), maxRttMs: milliseconds() }, "ack-based RTT"),
    maxSessions: integer(1, MAX_COUNT),
    comparison: settings(
      {
        seed: Type.Integer(),
        bootstrapIterations: integer(1, 1_000_000),
        confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        alpha: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        correction: Type.Union([Type.Literal("holm"), Type.Literal("benjaminiHochberg")]),
        minimumSessionsForComparison: integer(1, MAX_COUNT),
        experienceThresholdsMs: Type.Array(milliseconds(), { minItems: 1, maxItems: 16 }),
        serverSites: Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 128 }), geoPoint])),
        catalogue,
        placement: Type.Union([
          Type.Literal(false),
          settings(
            {
              catalogue,
              candidateSites: names(10_000),
              k: integer(1, 64),
              objective: Type.Union([Type.Literal("minimizeP95"), Type.Literal("maximizeShareUnderTarget")]),
              targetMs: milliseconds(),
              maxExactEvaluations: integer(1, 10_000_000),
              cellDegrees: number(0.01, 90),
              model: Type.Object({ overheadMs: milliseconds(), routeStretch: number(0, 100) }, { additionalProperties: false }),
            },
            "server placement",
          ),
        ]),
        protocol: settings(
          { candidateSnapshotRatesHz: Type.Array(number(0.1, 1000), { minItems: 1, maxItems: 64 }), targetInterpolationDelayMs: milliseconds(), maxInputRedundancy: integer(1, 1024) },
          "protocol settings derivation",
        ),
      },
      "region comparison",
    ),
  },
  "regions analysis options",
);

/** Settings schema of every analysis, by name. */
export const ANALYSIS_SETTINGS_SCHEMAS = {
  latency: LatencySettingsSchema,
  loss: LossSettingsSchema,
  bandwidth: BandwidthSettingsSchema,
  anticheat: AnticheatSettingsSchema,
  regions: RegionsSettingsSchema,
} as const;
