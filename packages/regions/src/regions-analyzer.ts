import {
  AnomalyCounter,
  ErrorCode,
  RttSampler,
  TickscopeError,
  type AckRttSamplerOptions,
  type GameMessage,
  type RttSample,
  type LogEvent,
  LogEventAttribution,
  type MergeableAnalyzer,
  type MergePlacement,
  type Session,
  type SpikeDetectorOptions,
} from "@tickscope/core";
import { compareRegions, type RegionComparisonOptions } from "./compare-regions.js";
import type { GeoPoint } from "./geo.js";
import type { NamedPlace } from "./gazetteer.js";
import type { RegionsReport } from "./report-schema.js";
import { checkRegionsAnalyzerState, REGIONS_STATE_VERSION, type RegionsAnalyzerState, type RegionsStateSettings } from "./regions-analyzer-state.js";
import { SessionRecord, type SessionLabels } from "./session-record.js";
import type { SessionSummary } from "./session-summary.js";
import { samplePrefixLengthOf, SessionTracker } from "./session-tracker.js";

/** Options of {@link createRegionsAnalyzer}. */
export interface RegionsAnalyzerOptions {
  /**
   * Region of each session: a map by session id, or a function. Falls back to
   * `Session.region`, then to a `region` label in log events for the session.
   * Unlabelled sessions are counted and left out.
   */
  regionOfSession?: Readonly<Record<string, string>> | ((sessionId: string, session: Session | undefined) => string | undefined);
  /** Player location (coordinates or a named place) by session id, or a function. */
  playerLocationOfSession?:
    | Readonly<Record<string, GeoPoint | NamedPlace>>
    | ((sessionId: string, session: Session | undefined) => GeoPoint | NamedPlace | undefined);
  /** RTT samples kept per stream (reservoir), default 2048. */
  maxRttSamplesPerSession?: number;
  /** Unanswered echo requests remembered per session, default 256. */
  maxPendingEchoes?: number;
  /** Ack-based RTT (core's RFC 9002 sampler), as the latency analysis takes it. */
  ack?: AckRttSamplerOptions;
  /** Sequence spaces (direction × channel) tracked per session, default 16. */
  maxSequenceSpaces?: number;
  /** Reordering window for loss, sequences, default 256. */
  lossWindow?: number;
  /**
   * Spike detection (core's `SpikeDetector`, the latency analysis' option of
   * the same name): give both analyses the same options and they count the
   * same spikes per session. Default: the detector's defaults.
   */
  spike?: SpikeDetectorOptions;
  /** Spikes counted per RTT series at most, default 1,000 (as the latency analysis keeps). */
  maxSpikesPerSeries?: number;
  /** Server-log value names read as a reported RTT, ms (core's default list when undefined). */
  reportedRttLogKeys?: readonly string[];
  /** Sessions tracked at most (default 200,000); more are counted and ignored. */
  maxSessions?: number;
  /** Options passed to {@link compareRegions} at `finish()`. */
  comparison?: RegionComparisonOptions;
  /**
   * Measure only sessions that have a region when their first message (or
   * RTT sample) arrives: a session without one is still counted (it is
   * skipped as `E_REGIONS_NO_REGION`, its sequence spaces are tracked) but its
   * RTT, jitter and spike work — most of this analysis' cost — is not done.
   * Set it when every label is known by then (`Session.region`,
   * `regionOfSession`, a `forRegion` capture), e.g. with no server log; not
   * for a state another analyzer may label at merge (the state does not
   * record the skip). A skipped session that has a region after all at
   * `finish()` is counted `E_REGIONS_LABELLED_LATE` (never compared on a
   * partial RTT). Default false: every session is measured.
   */
  measureOnlyLabelledSessions?: boolean;
}

/**
 * The regions analyzer: a mergeable message analyzer (save its state with
 * `saveState()`, fold saved states into a fresh analyzer created with the same
 * options with `mergeState()`, then `finish()`; see {@link RegionsAnalyzerState})
 * that also exposes its per-session summaries.
 */
export interface RegionsAnalyzer extends MergeableAnalyzer<RegionsReport, RegionsAnalyzerState> {
  /**
   * Per-session summaries derived so far (sorted by session id), merged
   * states included. Does not end the analysis: loss is counted on copies of
   * the reordering windows (sequences missing so far count as lost).
   */
  sessionSummaries(): SessionSummary[];
  /**
   * Sequence-space joins of rotation cuts (a session's record continued by a
   * later state) that could not be made exact so far; 0 when every cut
   * session's loss equals one pass's.
   */
  readonly inexactLossJoins: number;
  /**
   * A feeder for one capture whose sessions all belong to `region` (the CLI's
   * `--region eu-west=eu.pcapng`). Its session ids become `region/id`, so the
   * same 5-tuple in two captures stays two sessions. Call `finish()` on the
   * main analyzer once every feeder is done.
   */
  forRegion(region: string): RegionFeeder;
}

/** Feeds one region-labelled capture into a {@link RegionsAnalyzer} (see `forRegion`). */
export interface RegionFeeder {
  readonly name: string;
  onSession(session: Session): void;
  onMessage(message: GameMessage): void;
  onLogEvent(event: LogEvent): void;
}


/** Client prefix of an address: IPv4 /24 or IPv6 /48. */
export function clientPrefixOf(address: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    const parts = address.split(".");
    return `${parts[0]}.${parts[1]}.${parts[2]}.0/24`;
  }
  if (!address.includes(":")) return undefined;
  const [head = "", tail] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? headGroups : [...headGroups, ...new Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0"), ...tailGroups];
  if (groups.length < 3) return undefined;
  return `${groups.slice(0, 3).map((group) => (group === "" ? "0" : group.toLowerCase().replace(/^0+(?=.)/, ""))).join(":")}::/48`;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new TickscopeError(ErrorCode.invalidOption, `regions: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Creates the streaming regions analyzer. It derives, per session: RTT by
 * core's one rule — the same samples (`RttSampler`: RFC 9002 acks on the
 * channel the definition names, echo pairs, reported values in messages and
 * in server logs) and the same headline choice (`SessionRtt.choose`: echo,
 * then reported, then ack; echoes answered at the capture point skipped) as
 * the latency analysis, so a session has one RTT in both reports; spikes and
 * jitter by core's `SessionRttSignals`, as the latency analysis takes them:
 * the spikes of the chosen time series (headline, or a denser agreeing
 * method) that the headline does not contradict, and the RFC 3550 jitter of
 * the received `sendTime` stream (else of the time series' RTT); loss and loss
 * bursts from sequence gaps per direction and channel; play time.
 * `finish()` compares the regions with {@link compareRegions}.
 */
export function createRegionsAnalyzer(options: RegionsAnalyzerOptions = {}): RegionsAnalyzer {
  const limits = {
    maxRttSamples: positiveInteger(options.maxRttSamplesPerSession, 2048, "maxRttSamplesPerSession"),
    maxSequenceSpaces: positiveInteger(options.maxSequenceSpaces, 16, "maxSequenceSpaces"),
    lossWindow: positiveInteger(options.lossWindow, 256, "lossWindow"),
    spike: options.spike,
    maxSpikesPerSeries: positiveInteger(options.maxSpikesPerSeries, 1000, "maxSpikesPerSeries"),
  };
  const maxSessions = positiveInteger(options.maxSessions, 200_000, "maxSessions");
  const maxPendingEchoes = positiveInteger(options.maxPendingEchoes, 256, "maxPendingEchoes");
  const trackers = new Map<string, SessionTracker>();
  const sessions = new Map<string, Session>();
  const logRegions = new Map<string, string>();
  const logLocations = new Map<string, GeoPoint | NamedPlace>();
  const logAsns = new Map<string, string>();
  const fixedRegions = new Map<string, string>();
  const rawIds = new Map<string, string>();
  /** Core's one rule for which session a server-log event belongs to (the latency analysis uses it too). */
  const logAttribution = new LogEventAttribution();
  const anomalies = new AnomalyCounter();

  // The tracker looked up last: the messages of a datagram, and of a session's burst, hit it again.
  let lastTrackerId: string | undefined;
  let lastTracker: SessionTracker | undefined;
  const trackerOf = (sessionId: string, packetIndex: number): SessionTracker | undefined => {
    if (sessionId === lastTrackerId) return lastTracker;
    let tracker = trackers.get(sessionId);
    if (tracker === undefined) {
      if (trackers.size >= maxSessions) {
        anomalies.add("E_REGIONS_TOO_MANY_SESSIONS", packetIndex);
        return undefined;
      }
      tracker = new SessionTracker(sessionId, limits);
      tracker.firstPacketIndex = packetIndex;
      // Labels are known by now (the option's promise): a session without a region is counted, not measured.
      if (options.measureOnlyLabelledSessions === true && regionOf(sessionId) === undefined) tracker.measured = false;
      trackers.set(sessionId, tracker);
    }
    lastTrackerId = sessionId;
    lastTracker = tracker;
    return tracker;
  };

  const regionOf = (sessionId: string): string | undefined => {
    const fixed = fixedRegions.get(sessionId);
    if (fixed !== undefined) return fixed;
    const session = sessions.get(sessionId);
    const labelling = options.regionOfSession;
    const labelled = typeof labelling === "function" ? labelling(sessionId, session) : labelling?.[sessionId];
    return labelled ?? session?.region ?? logRegions.get(sessionId);
  };

  /** The labels of a session by the options and what the capture and logs told (see {@link SessionLabels}). */
  const labelsOf = (sessionId: string): SessionLabels => {
    const labels: SessionLabels = {};
    const region = regionOf(sessionId);
    if (region !== undefined) labels.region = region;
    const session = sessions.get(sessionId);
    if (session?.player !== undefined) labels.sessionPlayer = session.player;
    const location = locationOf(sessionId);
    if (location !== undefined) {
      if ("latitude" in location) labels.playerLocation = { latitude: location.latitude, longitude: location.longitude };
      else labels.playerPlace = { ...location };
    }
    if (session !== undefined) {
      const prefix = clientPrefixOf(session.client.address);
      if (prefix !== undefined) labels.clientPrefix = prefix;
    }
    const asn = logAsns.get(sessionId);
    if (asn !== undefined) labels.asn = asn;
    return labels;
  };

  const locationOf = (sessionId: string, savedRawId?: string): GeoPoint | NamedPlace | undefined => {
    const rawId = rawIds.get(sessionId) ?? savedRawId ?? sessionId;
    const locating = options.playerLocationOfSession;
    return (
      (typeof locating === "function" ? locating(rawId, sessions.get(sessionId)) : (locating?.[sessionId] ?? locating?.[rawId])) ?? logLocations.get(sessionId)
    );
  };

  /** A record's labels, completed (region, location) by this analyzer's options where the record has none. */
  const effectiveLabels = (record: SessionRecord): SessionLabels => {
    const labels = record.labels;
    if (labels.region !== undefined && (labels.playerLocation !== undefined || labels.playerPlace !== undefined)) return labels;
    const completed = { ...labels };
    if (completed.region === undefined) {
      const region = regionOf(record.id);
      if (region !== undefined) completed.region = region;
    }
    if (completed.playerLocation === undefined && completed.playerPlace === undefined) {
      const location = locationOf(record.id, record.rawId);
      if (location !== undefined) {
        if ("latitude" in location) completed.playerLocation = { latitude: location.latitude, longitude: location.longitude };
        else completed.playerPlace = { ...location };
      }
    }
    return completed;
  };

  /** Sessions whose feeding ended (this analyzer's own, settled, and merged states'), by id. */
  const records = new Map<string, SessionRecord>();
  /** Anomaly counts of merged states (and of their sessions over the bound). */
  const mergedAnomalies = new Map<string, number>();
  const countMerged = (code: string, count: number): void => {
    mergedAnomalies.set(code, (mergedAnomalies.get(code) ?? 0) + count);
  };
  /** Players named by logs of merged states but by none of their sessions. */
  const mergedUnknownPlayers = new Set<string>();
  /** Sequence-space joins (rotation cuts) that were not exact, over every merge. */
  let inexactWindowJoins = 0;

  /** Files a record (a session's next part joins its earlier one: a rotation cut it). */
  const fileRecord = (record: SessionRecord): void => {
    const existing = records.get(record.id);
    if (existing !== undefined) {
      const before = existing.inexactWindowJoins;
      existing.join(record, limits, carryLimits);
      inexactWindowJoins += existing.inexactWindowJoins - before;
      return;
    }
    if (records.size >= maxSessions) {
      countMerged("E_REGIONS_TOO_MANY_SESSIONS", 1);
      return;
    }
    records.set(record.id, record);
  };

  /** Ends feeding of every live session: each becomes a record (in the order sessions opened), with the exchanges its sampler holds open. */
  const settleTrackers = (): void => {
    for (const tracker of trackers.values()) {
      const id = tracker.sessionId;
      const owner = samplerOfKey.get(id) ?? sampler;
      const rawId = rawIds.get(id) ?? id;
      const carry = { ack: owner.ack.saveCarry(rawId), echo: owner.echo.saveCarry(rawId) };
      // The carry now holds the open exchanges: a later part of the session pairs them once, through the record.
      owner.forget(rawId);
      fileRecord(SessionRecord.fromTracker(tracker, labelsOf(id), rawIds.get(id), carry));
    }
    trackers.clear();
    lastTrackerId = undefined;
    lastTracker = undefined;
  };

  const carryLimits = { ackMaxRttMs: options.ack?.maxRttMs ?? 10_000, echoMaxRttMs: 30_000 };

  const settings: RegionsStateSettings = {
    maxRttSamplesPerSession: limits.maxRttSamples,
    lossWindow: limits.lossWindow,
    maxSequenceSpaces: limits.maxSequenceSpaces,
    maxSpikesPerSeries: limits.maxSpikesPerSeries,
  };

  /** Adds a core RTT sample to the session keyed `key` (its series, spikes and jitter, and the reservoir). */
  const addSample = (key: string, sample: RttSample): void => {
    // A log RTT may come before its session's first datagram (or be all a session has): it opens the session, as in latency.
    const tracker = trackerOf(key, sample.packetIndex);
    if (tracker === undefined) return;
    if (!(tracker.firstUs <= sample.tUs)) tracker.firstUs = sample.tUs;
    if (!(tracker.lastUs >= sample.tUs)) tracker.lastUs = sample.tUs;
    if (!tracker.measured) return;
    tracker.signals.add(sample);
    tracker.addSample(sample);
  };
  /** An RTT sampler feeding the sessions whose keys `keyOf` gives (one per capture: its raw session ids are its own). */
  const createSampler = (keyOf: (sessionId: string) => string): RttSampler =>
    new RttSampler((sample) => addSample(keyOf(sample.sessionId), sample), {
      ack: options.ack,
      echo: { maxPendingPerSession: maxPendingEchoes },
      reportedRttLogKeys: options.reportedRttLogKeys,
    });
  const sampler = createSampler((sessionId) => sessionId);
  /** The sampler of each `forRegion` session (keyed `region/raw`; others use `sampler`). */
  const samplerOfKey = new Map<string, RttSampler>();

  const ingestMessage = (message: GameMessage, key: string, sampler: RttSampler): void => {
    const tracker = trackerOf(key, message.packetIndex);
    if (tracker === undefined) return;
    const tUs = message.tUs;
    if (Number.isNaN(tracker.firstUs)) tracker.firstUs = tUs;
    tracker.lastUs = tUs;
    const roles = message.roles;
    const direction = message.direction;
    // Only the client's own messages name its player: server messages carry other players' ids (spawns, deaths).
    if (tracker.player === undefined && roles.playerId !== undefined && direction === "clientToServer") {
      tracker.player = String(roles.playerId);
      // Log events that named this player before its session did are this session's from now on.
      if (key === message.sessionId) releaseHeldLogEvents(tracker.player, key);
    }
    const measured = tracker.measured;
    if (measured && (roles.sequence !== undefined || roles.ack !== undefined || roles.echoKey !== undefined || roles.reportedRttMs !== undefined)) sampler.onMessage(message);
    const sequence = roles.sequence;
    if (sequence !== undefined && (typeof sequence === "bigint" || Number.isFinite(sequence))) {
      // An unmeasured session's spaces are only counted (its loss is never summarized).
      const space = tracker.sequenceSpace(direction, roles.channel, roles.sequenceBits);
      if (space !== undefined && measured) space.add(sequence);
    }
    if (measured && roles.sendTimeUs !== undefined) tracker.signals.addSendTime(message, roles.sendTimeUs);
  };

  const ingestLogEvent = (event: LogEvent, key: string): void => {
    if (!logRegions.has(key) && !logLocations.has(key) && !logAsns.has(key) && Math.max(logRegions.size, logLocations.size, logAsns.size) >= maxSessions) {
      anomalies.add("E_REGIONS_TOO_MANY_SESSIONS", event.line);
      return;
    }
    if (event.region !== undefined) logRegions.set(key, event.region);
    const latitude = event.values["latitude"] ?? event.values["lat"];
    const longitude = event.values["longitude"] ?? event.values["lon"];
    if (latitude !== undefined && longitude !== undefined) logLocations.set(key, { latitude, longitude });
    else if (event.labels["country"] !== undefined || event.labels["city"] !== undefined) {
      const place: NamedPlace = {};
      if (event.labels["country"] !== undefined) place.country = event.labels["country"];
      if (event.labels["city"] !== undefined) place.city = event.labels["city"];
      logLocations.set(key, place);
    }
    if (event.labels["asn"] !== undefined) logAsns.set(key, event.labels["asn"]);
  };

  /** Files the log events held for `player` under `sessionId`, in arrival order. */
  const releaseHeldLogEvents = (player: string, sessionId: string): void => {
    for (const held of logAttribution.learnPlayer(player, sessionId)) {
      ingestLogEvent(held, sessionId);
      sampler.onLogEvent(held, sessionId);
    }
  };

  const analyzer: RegionsAnalyzer = {
    name: "regions",
    onSession(session: Session): void {
      if (sessions.size < maxSessions || sessions.has(session.id)) {
        sessions.set(session.id, session);
        if (session.player !== undefined) releaseHeldLogEvents(session.player, session.id);
      }
    },
    onMessage(message: GameMessage): void {
      ingestMessage(message, message.sessionId, sampler);
    },
    onLogEvent(event: LogEvent): void {
      // Core's rule: the event's session, else its player's session (held until a session names the player).
      const placement = logAttribution.attribute(event);
      if (placement.kind !== "session") return;
      ingestLogEvent(event, placement.sessionId);
      // A reported RTT in the log is a sample by core's rule, as the latency analysis takes it.
      sampler.onLogEvent(event, placement.sessionId);
    },
    forRegion(region: string): RegionFeeder {
      if (typeof region !== "string" || region === "") {
        throw new TickscopeError(ErrorCode.invalidOption, "regions: forRegion needs a non-empty region name");
      }
      let lastId: string | undefined;
      let lastKey = "";
      const keyOf = (sessionId: string): string => {
        if (sessionId === lastId) return lastKey;
        const key = `${region}/${sessionId}`;
        if (!fixedRegions.has(key)) {
          fixedRegions.set(key, region);
          rawIds.set(key, sessionId);
          samplerOfKey.set(key, regionSampler);
        }
        lastId = sessionId;
        lastKey = key;
        return key;
      };
      const regionSampler = createSampler(keyOf);
      return {
        name: `regions:${region}`,
        onSession(session: Session): void {
          const key = keyOf(session.id);
          if (sessions.size < maxSessions || sessions.has(key)) sessions.set(key, session);
        },
        onMessage(message: GameMessage): void {
          ingestMessage(message, keyOf(message.sessionId), regionSampler);
        },
        onLogEvent(event: LogEvent): void {
          if (event.session === undefined) return;
          ingestLogEvent(event, keyOf(event.session));
          regionSampler.onLogEvent(event, event.session);
        },
      };
    },
    sessionSummaries(): SessionSummary[] {
      const summaries: SessionSummary[] = [];
      for (const id of [...new Set([...records.keys(), ...trackers.keys()])].sort()) {
        const tracker = trackers.get(id);
        let record = records.get(id);
        if (tracker !== undefined) {
          const live = SessionRecord.fromTracker(tracker, labelsOf(id), rawIds.get(id));
          if (record === undefined) record = live;
          else {
            record = record.clone(limits.spike);
            record.join(live, limits, carryLimits);
          }
        }
        const summary = record!.summarize(effectiveLabels(record!));
        if (summary !== undefined) summaries.push(summary);
      }
      return summaries;
    },
    stateVersion: REGIONS_STATE_VERSION,
    saveState(): RegionsAnalyzerState {
      settleTrackers();
      const ordered = [...records.values()].sort((left, right) =>
        left.firstPacketIndex !== right.firstPacketIndex ? left.firstPacketIndex - right.firstPacketIndex : left.id < right.id ? -1 : left.id > right.id ? 1 : 0,
      );
      const counts = anomalies.toCounts();
      for (const [code, value] of mergedAnomalies) counts[code] = (counts[code] ?? 0) + value;
      return {
        analysis: "regions",
        version: REGIONS_STATE_VERSION,
        settings: { ...settings },
        sessions: ordered.map((record) => {
          const state = record.saveState();
          // The labels the session is summarized with (options applied), so a merge needs no capture context.
          state.labels = structuredClone(effectiveLabels(record));
          return state;
        }),
        anomalies: Object.fromEntries(Object.entries(counts).sort(([left], [right]) => (left < right ? -1 : 1))),
        unknownLogPlayers: [...new Set([...logAttribution.unknownPlayers(), ...mergedUnknownPlayers])].sort(),
      };
    },
    mergeState(state: RegionsAnalyzerState, placement: MergePlacement): void {
      const offset = placement?.packetIndexOffset;
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new TickscopeError(ErrorCode.invalidOption, `regions: mergeState needs a packetIndexOffset that is a non-negative integer, got ${String(offset)}`);
      }
      const checked = checkRegionsAnalyzerState(state, settings, maxSessions, samplePrefixLengthOf(limits.spike));
      // Rebuild every record first (sketches are checked by core): a state that fails leaves this analyzer unchanged.
      const incoming = checked.sessions.map((session) => SessionRecord.fromState(session, offset, limits.spike));
      settleTrackers();
      for (const record of incoming) fileRecord(record);
      for (const [code, value] of Object.entries(checked.anomalies)) countMerged(code, value);
      for (const player of checked.unknownLogPlayers) mergedUnknownPlayers.add(player);
    },
    finish(): RegionsReport {
      settleTrackers();
      const counts = new AnomalyCounter();
      counts.merge(anomalies);
      const summaries: SessionSummary[] = [];
      for (const id of [...records.keys()].sort()) {
        const record = records.get(id)!;
        const labels = effectiveLabels(record);
        if (record.droppedSequenceSpaces > 0) counts.add("E_REGIONS_TOO_MANY_SEQUENCE_SPACES", 0);
        if (labels.region === undefined) counts.add("E_REGIONS_NO_REGION", 0);
        else if (!record.measured) {
          counts.add("E_REGIONS_LABELLED_LATE", 0);
          continue;
        } else if (record.series.size === 0) counts.add("E_REGIONS_NO_RTT", 0);
        const summary = record.summarize(labels);
        if (summary !== undefined) summaries.push(summary);
      }
      // Players the server log named that no session ever named: skipped, not filed under a made-up session.
      const unknownPlayers = new Set([...logAttribution.unknownPlayers(), ...mergedUnknownPlayers]);
      for (let index = 0; index < unknownPlayers.size; index++) counts.add("E_LOG_PLAYER_UNKNOWN", 0);
      const report = compareRegions(summaries, options.comparison);
      const merged = { ...report.sessions.skipped };
      for (const [code, count] of Object.entries(counts.toCounts())) merged[code] = (merged[code] ?? 0) + count;
      for (const [code, count] of mergedAnomalies) merged[code] = (merged[code] ?? 0) + count;
      report.sessions.skipped = Object.fromEntries(Object.entries(merged).sort(([left], [right]) => (left < right ? -1 : 1)));
      report.sessions.total = records.size;
      return report;
    },
    /** Sequence-space joins of rotation cuts that were not exact so far (0 when every cut session's loss is exact). */
    get inexactLossJoins(): number {
      return inexactWindowJoins;
    },
  };
  return analyzer;
}
