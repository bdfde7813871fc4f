import {
  ackSessionCarrySchema,
  badState,
  checkState,
  echoSessionCarrySchema,
  ErrorCode,
  interarrivalJitterStateSchema,
  quantileSketchStateSchema,
  spikeDetectorStateSchema,
  TickscopeError,
} from "@tickscope/core";
import { SchemaType as T, type JsonSchema } from "./schema-builder.js";
import type { RegionsSessionState } from "./session-record.js";
import type { SequenceWindowMark, SequenceWindowState } from "./session-tracker.js";

/** Version of {@link RegionsAnalyzerState}'s shape. */
export const REGIONS_STATE_VERSION = 1;

/** Hard ceilings of a saved state whatever the options (the analyzer's own bounds are checked too). */
const MAX_STATE_SESSIONS = 10_000_000;
const MAX_STATE_ITEMS = 1_000_000;
const MAX_ID_LENGTH = 4096;

/** The analyzer bounds a state was saved with: states merge only into an analyzer with the same. */
export interface RegionsStateSettings {
  maxRttSamplesPerSession: number;
  lossWindow: number;
  maxSequenceSpaces: number;
  maxSpikesPerSeries: number;
}

/**
 * The regions analyzer's saved state (`saveState()`), JSON-safe plain data.
 *
 * One record per session that had a message or an RTT sample, sorted by its
 * first datagram (then id): the session's RTT sketches (core's
 * `QuantileSketch` state, 0.5 % relative error, mergeable exactly), per RTT
 * series its closed spikes, RTT-series jitter and reservoir of samples, its
 * `sendTime` streams' jitter, its sequence windows unflushed (with their first
 * sequences raw, for joining a rotation's next file), and the labels it was
 * summarized with (region, player, location, client prefix, ASN), resolved
 * when the pass ended — the merge needs no capture or CLI context. Everything
 * across sessions (region figures, comparisons, significance, routing,
 * placement) is computed by `finish()` from the merged records.
 *
 * Merging, `finish()` of the merged analyzer compared with one pass:
 * - a single state (round trip), and passes over disjoint sessions: byte-identical;
 * - a session cut by a rotation (pass 2 restarts packet indices and sees the
 *   session as new; joined by session id):
 *   - exact: loss, loss bursts, duplicates/late arrivals (the later pass's first
 *     `lossWindow + 64` sequences are replayed onto the earlier window; a join
 *     that cannot be exact — a later window saved without its prefix — is
 *     counted in `inexactLossJoins`); RTT sample counts and quantiles (sketches
 *     add; a ping or an ack whose request is in one pass and reply in the next is
 *     paired through core's echo/ack carries); jitter J and its mean (core's
 *     `InterarrivalJitter.mergeState`); play time, labels;
 *   - spikes: the earlier pass's spike detector, saved before its open spike
 *     was closed, is fed the later pass's first samples (the baseline window
 *     + 32 per series, kept raw) — where the later pass's own detector was
 *     still warming up — and the later pass's spikes are kept from there on
 *     (measured: 84 spikes of 84, per session equal, on 100 synthetic sessions ×
 *     120 s cut at 25/50/75 %; before this continuation 77–79). Not exact: an
 *     ack spike found in that replay is not checked against echo samples (core
 *     contradicts an ack spike an echo sample disproves; a replayed one always
 *     counts), and one still open where the replay ends without a later-pass
 *     spike over the same moment ends there;
 *   - not exact: RTT reservoirs are merged as a uniform sample (hypergeometric
 *     split, seeded), so the samples kept — and bootstrap intervals drawn from
 *     them — differ from one pass's draw (same significant comparisons and
 *     ranking in those measurements); samples paired across the cut are not fed
 *     to spike detection or RTT-series jitter; log events held for a player a
 *     later pass names stay unattributed.
 */
export interface RegionsAnalyzerState {
  analysis: "regions";
  version: number;
  settings: RegionsStateSettings;
  sessions: RegionsSessionState[];
  /** Streaming anomaly counts (sessions over the bound), by code. */
  anomalies: Record<string, number>;
  /** Players the server log named that no session named (sorted). */
  unknownLogPlayers: string[];
}

const count = (): JsonSchema => T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const finite = (): JsonSchema => T.Number();
const direction = (): JsonSchema => T.Union([T.Literal("clientToServer"), T.Literal("serverToClient")]);
const serial = (): JsonSchema => T.Union([count(), T.String({ pattern: "^[0-9]{1,20}$" })]);
const text = (): JsonSchema => T.String({ maxLength: MAX_ID_LENGTH });
const closed = { additionalProperties: false };

const markProperties = {
  started: T.Boolean(),
  base: count(),
  highest: count(),
  highestRaw: serial(),
  received: T.String({ pattern: "^[01]*$", maxLength: MAX_STATE_ITEMS }),
  hasPending: T.Boolean(),
  pendingRaw: serial(),
  currentBurst: count(),
  receivedCount: count(),
  lostCount: count(),
  duplicateOrLateCount: count(),
  burstCount: count(),
  restartCount: count(),
};

const jitterSchema = interarrivalJitterStateSchema as unknown as JsonSchema;

const geoPointSchema = T.Object({ latitude: T.Number({ minimum: -90, maximum: 90 }), longitude: T.Number({ minimum: -180, maximum: 180 }) }, closed);

const sessionSchema = T.Object(
  {
    id: text(),
    rawId: T.Nullable(text()),
    firstPacketIndex: count(),
    firstUs: T.Nullable(finite()),
    lastUs: T.Nullable(finite()),
    player: T.Nullable(text()),
    labels: T.Object(
      {
        region: T.Optional(text()),
        sessionPlayer: T.Optional(text()),
        playerLocation: T.Optional(geoPointSchema),
        playerPlace: T.Optional(T.Object({ country: T.Optional(text()), city: T.Optional(text()) }, closed)),
        clientPrefix: T.Optional(text()),
        asn: T.Optional(text()),
      },
      closed,
    ),
    series: T.Array(
      T.Object(
        {
          method: T.Union([T.Literal("echo"), T.Literal("ack"), T.Literal("reported")]),
          direction: direction(),
          sketch: quantileSketchStateSchema as unknown as JsonSchema,
          spikes: T.Array(
            T.Object(
              {
                startUs: finite(),
                endUs: finite(),
                peakMs: finite(),
                packetIndex: T.Nullable(count()),
                contradictedBy: T.Nullable(T.Array(T.String({ maxLength: 64 }), { maxItems: 6 })),
                closedAtEnd: T.Boolean(),
              },
              closed,
            ),
            { maxItems: MAX_STATE_ITEMS },
          ),
          jitter: jitterSchema,
          reservoir: T.Object({ count: count(), samplesMs: T.Array(T.Number({ minimum: 0 }), { maxItems: MAX_STATE_ITEMS }) }, closed),
          detector: T.Nullable(spikeDetectorStateSchema as unknown as JsonSchema),
          prefix: T.Array(T.Number(), { maxItems: MAX_STATE_ITEMS }),
        },
        closed,
      ),
      { maxItems: 6 },
    ),
    sendTimeStreams: T.Array(T.Object({ direction: direction(), channel: text(), jitter: jitterSchema }, closed), { maxItems: MAX_STATE_ITEMS }),
    sequenceSpaces: T.Array(
      T.Object(
        {
          direction: direction(),
          channel: T.Union([T.Number(), text(), T.Null()]),
          window: T.Object(
            {
              ...markProperties,
              windowSize: T.Integer({ minimum: 1, maximum: MAX_STATE_ITEMS }),
              sequenceBits: T.Nullable(T.Integer({ minimum: 1, maximum: 64 })),
              maxGap: T.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
              maxBurstLength: count(),
              prefix: T.Nullable(T.Array(serial(), { maxItems: MAX_STATE_ITEMS })),
              mark: T.Nullable(T.Object(markProperties, closed)),
              maxBurstAfterMark: count(),
            },
            closed,
          ),
        },
        closed,
      ),
      { maxItems: MAX_STATE_ITEMS },
    ),
    droppedSequenceSpaces: count(),
    carry: T.Object(
      {
        ack: T.Nullable(ackSessionCarrySchema as unknown as JsonSchema),
        echo: T.Nullable(echoSessionCarrySchema as unknown as JsonSchema),
      },
      closed,
    ),
  },
  closed,
);

/** TypeBox-compatible JSON Schema of {@link RegionsAnalyzerState} (check it with TypeBox's `Value.Check`). */
export const regionsAnalyzerStateSchema: JsonSchema = T.Object(
  {
    analysis: T.Literal("regions"),
    version: T.Integer({ minimum: 1 }),
    settings: T.Object(
      {
        maxRttSamplesPerSession: T.Integer({ minimum: 1 }),
        lossWindow: T.Integer({ minimum: 1 }),
        maxSequenceSpaces: T.Integer({ minimum: 1 }),
        maxSpikesPerSeries: T.Integer({ minimum: 1 }),
      },
      closed,
    ),
    sessions: T.Array(sessionSchema, { maxItems: MAX_STATE_SESSIONS }),
    anomalies: T.Record(count()),
    unknownLogPlayers: T.Array(text(), { maxItems: MAX_STATE_SESSIONS }),
  },
  closed,
);

const WHAT = "regions state";

function checkMark(mark: SequenceWindowMark, windowSize: number, path: string): void {
  if (mark.highest < mark.base - 1) badState(WHAT, `${path}/highest`, "highest must not lie below base − 1");
  const span = mark.started ? mark.highest - mark.base + 1 : 0;
  if (span > windowSize) badState(WHAT, `${path}/received`, `the window spans ${span} sequences, more than its size ${windowSize}`);
  if (mark.received.length !== Math.max(0, span)) badState(WHAT, `${path}/received`, `must hold one 0/1 per sequence of base..highest (${Math.max(0, span)}), got ${mark.received.length}`);
}

function checkWindow(window: SequenceWindowState, settings: RegionsStateSettings, path: string): void {
  if (window.windowSize !== settings.lossWindow) badState(WHAT, `${path}/windowSize`, `window size ${window.windowSize} is not the state's lossWindow ${settings.lossWindow}`);
  checkMark(window, window.windowSize, path);
  const prefixLength = window.windowSize + 64;
  if (window.prefix !== null && window.prefix.length > prefixLength) badState(WHAT, `${path}/prefix`, `holds ${window.prefix.length} sequences, more than the window + 64 (${prefixLength})`);
  if (window.mark !== null) {
    checkMark(window.mark, window.windowSize, `${path}/mark`);
    if (window.prefix === null || window.prefix.length !== prefixLength) badState(WHAT, `${path}/mark`, "a mark comes with a full prefix");
  }
}

/**
 * Checks a value is a {@link RegionsAnalyzerState} this version saved, within
 * the bounds of an analyzer with `settings`, `maxSessions` and RTT-sample
 * prefixes of `samplePrefixLength` (see `SessionTracker.samplePrefixes`): the schema,
 * then the version, the analysis, the settings (a state saved with other
 * bounds throws `E_PARTIAL_MISMATCH`) and the consistency the schema cannot
 * express (unique ids, arrays within the analyzer's bounds, windows that fit).
 * Throws `E_BAD_PARTIAL` with the path of the first problem.
 */
export function checkRegionsAnalyzerState(value: unknown, settings: RegionsStateSettings, maxSessions: number, samplePrefixLength = 133): RegionsAnalyzerState {
  if (typeof value === "object" && value !== null && "version" in value && (value as { version: unknown }).version !== REGIONS_STATE_VERSION && (value as { analysis?: unknown }).analysis === "regions") {
    badState(WHAT, "/version", `version ${String((value as { version: unknown }).version)} is not this version's ${REGIONS_STATE_VERSION}`);
  }
  const state = checkState(regionsAnalyzerStateSchema as never, value, WHAT) as unknown as RegionsAnalyzerState;
  if (state.version !== REGIONS_STATE_VERSION) badState(WHAT, "/version", `version ${state.version} is not this version's ${REGIONS_STATE_VERSION}`);
  for (const key of Object.keys(settings) as (keyof RegionsStateSettings)[]) {
    if (state.settings[key] !== settings[key]) {
      throw new TickscopeError(
        ErrorCode.partialMismatch,
        `regions state saved with ${key} ${state.settings[key]} cannot merge into an analyzer with ${settings[key]} (create the merging analyzer with the same options)`,
        { fieldPath: `/settings/${key}` },
      );
    }
  }
  if (state.sessions.length > maxSessions) badState(WHAT, "/sessions", `${state.sessions.length} sessions, more than this analyzer's maxSessions ${maxSessions}`);
  const ids = new Set<string>();
  state.sessions.forEach((session, index) => {
    const path = `/sessions/${index}`;
    if (ids.has(session.id)) badState(WHAT, `${path}/id`, `session ${JSON.stringify(session.id)} appears twice`);
    ids.add(session.id);
    const seriesKeys = new Set<string>();
    session.series.forEach((series, seriesIndex) => {
      const seriesPath = `${path}/series/${seriesIndex}`;
      const key = `${series.method}:${series.direction}`;
      if (seriesKeys.has(key)) badState(WHAT, seriesPath, `series ${key} appears twice`);
      seriesKeys.add(key);
      if (series.spikes.length > settings.maxSpikesPerSeries) badState(WHAT, `${seriesPath}/spikes`, `${series.spikes.length} spikes, more than maxSpikesPerSeries ${settings.maxSpikesPerSeries}`);
      const kept = Math.min(series.reservoir.count, settings.maxRttSamplesPerSession);
      if (series.prefix.length % 3 !== 0 || series.prefix.length > 3 * samplePrefixLength) {
        badState(WHAT, `${seriesPath}/prefix`, `must hold [start µs, RTT ms, packet index] triples of at most ${samplePrefixLength} samples, got ${series.prefix.length} numbers`);
      }
      if (series.reservoir.samplesMs.length !== kept) badState(WHAT, `${seriesPath}/reservoir/samplesMs`, `holds ${series.reservoir.samplesMs.length} samples, not min(count, maxRttSamplesPerSession) = ${kept}`);
    });
    if (session.sequenceSpaces.length > settings.maxSequenceSpaces) badState(WHAT, `${path}/sequenceSpaces`, `${session.sequenceSpaces.length} sequence spaces, more than maxSequenceSpaces ${settings.maxSequenceSpaces}`);
    session.sequenceSpaces.forEach((space, spaceIndex) => checkWindow(space.window, settings, `${path}/sequenceSpaces/${spaceIndex}/window`));
  });
  return state;
}
