import { Type, type Static } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { ClientDatagramStateSchema } from "./client-datagram.js";
import { BotTimingStateSchema } from "./detectors/bot-timing-detector.js";
import { FakeLatencyDetector, FakeLatencyStateSchema } from "./detectors/fake-latency-detector.js";
import { InputFloodingStateSchema } from "./detectors/input-flooding-detector.js";
import { LagSwitchStateSchema } from "./detectors/lag-switch-detector.js";
import { MovementStateSchema } from "./detectors/movement-detector.js";
import { ReplayDetector, ReplayStateSchema } from "./detectors/replay-detector.js";
import { RewindDetector, RewindStateSchema } from "./detectors/rewind-detector.js";
import { SelectiveDelayDetector, SelectiveDelayStateSchema } from "./detectors/selective-delay-detector.js";
import { SpeedhackStateSchema } from "./detectors/speedhack-detector.js";
import { TamperingStateSchema } from "./detectors/tampering-detector.js";
import type { AnticheatOptions } from "./options.js";
import { SessionTimeline, SessionTimelineStateSchema } from "./session-timeline.js";
import { CountSchema } from "./state-encoding.js";

/** Version of {@link AnticheatAnalyzerState}'s shape (bumped whenever it changes). */
export const ANTICHEAT_STATE_VERSION = 2;

/** Most sessions one saved state may hold. */
export const MAX_SAVED_SESSIONS = 1_000_000;

/** Most distinct anomaly codes one saved state may hold. */
export const MAX_SAVED_ANOMALY_CODES = 4096;

/** One session's saved state: its label, timeline, open datagram and every detector's state. */
export const anticheatSessionStateSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 4096 }),
  label: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]),
  serverMessages: CountSchema,
  timeline: SessionTimelineStateSchema,
  datagram: ClientDatagramStateSchema,
  speedhack: SpeedhackStateSchema,
  lagSwitch: LagSwitchStateSchema,
  fakeLatency: FakeLatencyStateSchema,
  selectiveDelay: SelectiveDelayStateSchema,
  tampering: TamperingStateSchema,
  replay: ReplayStateSchema,
  rewind: RewindStateSchema,
  movement: MovementStateSchema,
  flooding: InputFloodingStateSchema,
  botTiming: BotTimingStateSchema,
});

/** See {@link anticheatSessionStateSchema}. */
export type AnticheatSessionState = Static<typeof anticheatSessionStateSchema>;

/**
 * TypeBox schema of {@link AnticheatAnalyzerState} (what
 * `AnticheatAnalyzer.mergeState` checks its input against).
 */
export const anticheatAnalyzerStateSchema = Type.Object({
  analysis: Type.Literal("anticheat"),
  stateVersion: Type.Literal(ANTICHEAT_STATE_VERSION),
  /** Digest of the options (thresholds) the state was made with: states merge only under the same options. */
  optionsDigest: Type.String({ maxLength: 64 }),
  packets: CountSchema,
  /** Decode anomalies by code, codes sorted. */
  anomalies: Type.Array(Type.Tuple([Type.String({ maxLength: 256 }), CountSchema]), { maxItems: MAX_SAVED_ANOMALY_CODES }),
  /** Sessions, sorted by id. */
  sessions: Type.Array(anticheatSessionStateSchema, { maxItems: MAX_SAVED_SESSIONS }),
});

/**
 * The saved state of an {@link AnticheatAnalyzer} (`saveState()`): JSON-safe
 * plain data (NaN and ±Infinity as the strings "NaN", "Infinity",
 * "-Infinity"; 64-bit serial numbers as decimal strings), tens of kilobytes
 * per session whatever the capture's length (measured: 609 KB for a
 * simulated 16-player × 60-s match, 37.2 KB per session, most of it the
 * replay detector's slots and heads: at most 2 × 256 datagrams per sequence
 * space).
 *
 * Merging is exact for disjoint sessions (session-sharded threads, files
 * without common sessions): every detector's state is per session and every
 * cross-session judgement (shared outages, the protocol's rewind clock,
 * totals) is made in `finish()` from the merged sessions.
 *
 * A session found in two consecutive passes (a rotation cut it) continues:
 * - exact: sessions, client/server messages, packets, anomalies; tampering
 *   and input-problem counts (a datagram is in one pass); bot-timing gaps
 *   (the gap across the cut is rebuilt from the last and first actions);
 *   input-flooding seconds (a claimed second the cut fell into is counted
 *   once); speedhack evaluations (the one-second envelope window the cut fell
 *   into becomes one point, and the later pass's first points are replayed
 *   after the earlier pass's, so every evaluation whose 20-point window spans
 *   the cut is made); movement (the first position after the cut is judged
 *   against the last before it), up to the snapshot entity the later pass
 *   re-identifies; lag switch (the later pass's first 32 datagrams are
 *   replayed after the earlier pass's last: a silence open at or spanning the
 *   cut is found and judged with its flush, on the earlier pass's clock
 *   offset and recent server sequences); replay and duplicates (the later
 *   pass's first 256 datagrams per sequence space are replayed against the
 *   earlier pass's slots in packet order, those before the later pass's
 *   first server packet as gameplay when the earlier pass had seen the
 *   server: a copy of a datagram across the cut is judged as one pass judges
 *   it);
 * - joined: the 10-s window histories (fake latency, selective delay,
 *   rewind) — the window open at the cut is judged, a run of elevated
 *   windows open at the cut joins the later pass's first run; windows after
 *   the cut start at the later pass's first sample (exact when the cut falls
 *   on a window boundary). The later pass's reported-RTT history without the
 *   first-report credit is used (its first report was not the session's);
 * - not seen across the cut: an echo whose request and reply are on either
 *   side (one RTT sample); the later pass's datagrams before its first server
 *   packet count as handshake elsewhere than in the replay detector's heads.
 * Measured (`bench/state.ts`: 3 seeds × cuts at 10/25/50/75/90 % of a 40-s,
 * 33-player match with every cheat kind): flagged (session, kind) pairs equal
 * one pass's in 14 of 15 cuts; the 15th flags one more pair, a low-intensity
 * reported-RTT cheater one pass missed. Measured RTT samples within −1.5 %;
 * shared outages discarded equal.
 */
export type AnticheatAnalyzerState = Static<typeof anticheatAnalyzerStateSchema>;

let compiled: TypeCheck<typeof anticheatAnalyzerStateSchema> | undefined;

/** Digest of the options that change what a state means (thresholds; the protocol only through its audit, which `finish` recomputes). */
export function anticheatOptionsDigest(options: AnticheatOptions): string {
  const entries = Object.entries(options)
    .filter(([key]) => key !== "protocol")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = JSON.stringify(entries);
  // FNV-1a, 2 × 32 bits (a fingerprint, not a security measure).
  let low = 0x811c9dc5;
  let high = 0x01000193;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    low = Math.imul(low ^ code, 0x01000193) >>> 0;
    high = Math.imul(high ^ code ^ (low >>> 7), 0x01000193) >>> 0;
  }
  return `fnv1a:${high.toString(16).padStart(8, "0")}${low.toString(16).padStart(8, "0")}`;
}

function bad(message: string, path: string): never {
  throw new TickscopeError(ErrorCode.badPartial, `anticheat state ${path === "" ? "" : `at ${path} `}${message}`, {
    fieldPath: path === "" ? undefined : path,
    hint: "merge only states saved by AnticheatAnalyzer.saveState of the same tickscope version",
  });
}

/**
 * Checks that `state` is an anticheat state this version saved under these
 * options: schema (TypeBox, compiled once), version, options digest, and
 * what the schema cannot say (bounds that depend on the options, arrays of
 * matching lengths, unique sessions, packet indices that stay safe integers
 * after `packetIndexOffset`). Throws `E_BAD_PARTIAL` (or
 * `E_PARTIAL_MISMATCH` for other options) with the path of the first problem.
 */
export function checkAnticheatState(state: unknown, options: AnticheatOptions, packetIndexOffset: number): asserts state is AnticheatAnalyzerState {
  if (typeof state !== "object" || state === null || Array.isArray(state)) bad("is not an object", "");
  const record = state as Record<string, unknown>;
  if (record.analysis !== "anticheat") bad(`is for analysis ${JSON.stringify(record.analysis)}, not "anticheat"`, "/analysis");
  if (record.stateVersion !== ANTICHEAT_STATE_VERSION) bad(`has version ${JSON.stringify(record.stateVersion)}; this version reads ${ANTICHEAT_STATE_VERSION}`, "/stateVersion");
  compiled ??= TypeCompiler.Compile(anticheatAnalyzerStateSchema);
  if (!compiled.Check(state)) {
    const error = compiled.Errors(state).First();
    bad(`does not match the schema: ${error?.message ?? "invalid"}`, error?.path ?? "");
  }
  const checked = state as AnticheatAnalyzerState;
  if (checked.optionsDigest !== anticheatOptionsDigest(options)) {
    throw new TickscopeError(ErrorCode.partialMismatch, "anticheat state was saved with other anticheat options (thresholds); merge states made with the same options", {
      fieldPath: "/optionsDigest",
    });
  }
  const probeTimeline = new SessionTimeline("probe", options);
  const probeFakeLatency = new FakeLatencyDetector(options);
  const probeSelectiveDelay = new SelectiveDelayDetector(options);
  const probeRewind = new RewindDetector(options);
  const codes = new Set<string>();
  checked.anomalies.forEach(([code], index) => {
    if (codes.has(code)) bad(`repeats anomaly code ${JSON.stringify(code)}`, `/anomalies/${index}`);
    codes.add(code);
  });
  const ids = new Set<string>();
  const limit = Number.MAX_SAFE_INTEGER - packetIndexOffset;
  checked.sessions.forEach((session, index) => {
    const path = `/sessions/${index}`;
    if (ids.has(session.id)) bad(`repeats session ${JSON.stringify(session.id)}`, `${path}/id`);
    ids.add(session.id);
    if (!probeTimeline.stateFits(session.timeline)) bad(`has an envelope longer than speedhackWindowPoints (${options.speedhackWindowPoints}) or of unequal lengths`, `${path}/timeline`);
    if (session.datagram.targetsUs.length !== session.datagram.targetClaimsUs.length) bad("has targets and target claims of unequal lengths", `${path}/datagram`);
    if (session.lagSwitch.events.length > options.maxEventsPerSession) bad(`holds more lag-switch events than maxEventsPerSession (${options.maxEventsPerSession})`, `${path}/lagSwitch/events`);
    if (!probeFakeLatency.stateFits(session.fakeLatency)) bad("has a window history of the wrong shape", `${path}/fakeLatency/history`);
    if (!probeSelectiveDelay.stateFits(session.selectiveDelay)) bad("has window histories of the wrong shape or repeated types", `${path}/selectiveDelay`);
    if (!probeRewind.stateFits(session.rewind)) bad("has window histories of the wrong shape", `${path}/rewind`);
    const replayProblem = ReplayDetector.stateProblem(session.replay);
    if (replayProblem !== undefined) bad(replayProblem.replace(/^spaces\/\d+ /, ""), `${path}/replay/${replayProblem.split(" ")[0]}`);
    const tooLarge = findPacketIndexAbove(session, limit);
    if (tooLarge !== undefined) bad(`holds packet index ${tooLarge}, beyond a safe integer after the offset ${packetIndexOffset}`, path);
  });
}

/** The first number under a `packetIndex`/`packetIndices`-like key that exceeds `limit` (a cheap walk over one session). */
function findPacketIndexAbove(value: unknown, limit: number, packetKey = false): number | undefined {
  if (typeof value === "number") return packetKey && value > limit ? value : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findPacketIndexAbove(item, limit, packetKey);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const found = findPacketIndexAbove(item, limit, packetKey || /packetInd(ex|ices)$|^(window|failure)Packets$/i.test(key));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
