import {
  AnomalyCounter,
  ErrorCode,
  RttSampler,
  rttPercentiles,
  TickscopeError,
  roundMs,
  type AckRttSamplerOptions,
  type GameMessage,
  type RttSample,
  type LogEvent,
  LogEventAttribution,
  type MessageAnalyzer,
  type Session,
  type SpikeDetectorOptions,
} from "@tickscope/core";
import { compareRegions, type RegionComparisonOptions } from "./compare-regions.js";
import type { GeoPoint } from "./geo.js";
import type { NamedPlace } from "./gazetteer.js";
import type { RegionsReport } from "./report-schema.js";
import type { SessionSummary } from "./session-summary.js";
import { rttStreamKey, SessionTracker } from "./session-tracker.js";

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
}

/** The regions analyzer: a {@link MessageAnalyzer} that also exposes its per-session summaries. */
export interface RegionsAnalyzer extends MessageAnalyzer<RegionsReport> {
  /**
   * Per-session summaries derived so far (sorted by session id). Does not end
   * the analysis, but settles the loss reordering window (sequences missing so
   * far count as lost).
   */
  sessionSummaries(): SessionSummary[];
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

  const summarize = (tracker: SessionTracker): SessionSummary | undefined => {
    const region = regionOf(tracker.sessionId);
    if (region === undefined || region === "") return undefined;
    // The session's RTT by core's one rule (the same series and figures the latency analysis reports).
    const choice = tracker.rtt.choose();
    if (choice === undefined) return undefined;
    const headline = choice.headline;
    const chosen = tracker.rttStreams.get(rttStreamKey(headline.method, headline.direction))!;
    const figures = rttPercentiles(headline.sketch);
    // Spikes and jitter by core's one computation (the latency analysis' figures for the same session).
    tracker.signals.finish();
    const jitter = tracker.signals.sessionJitter(choice);
    // Loss of the worse direction: at a server-side capture only client→server loss is visible
    // (server→client datagrams are captured before they are lost), and vice versa.
    let loss: { lost: number; received: number; bursts: number; maxBurst: number } | undefined;
    for (const direction of ["clientToServer", "serverToClient"] as const) {
      let lost = 0;
      let received = 0;
      let bursts = 0;
      let maxBurst = 0;
      for (const space of tracker.sequenceSpaces[direction].values()) {
        space.flush();
        lost += space.lostCount;
        received += space.receivedCount;
        bursts += space.burstCount;
        maxBurst = Math.max(maxBurst, space.maxBurstLength);
      }
      if (lost + received === 0) continue;
      if (loss === undefined || lost / (lost + received) > loss.lost / (loss.lost + loss.received)) loss = { lost, received, bursts, maxBurst };
    }
    const session = sessions.get(tracker.sessionId);
    const summary: SessionSummary = {
      sessionId: tracker.sessionId,
      region,
      player: session?.player ?? tracker.player ?? tracker.sessionId,
      rttMs: { p50: figures.p50, p95: figures.p95, p99: figures.p99 },
      rttSamplesMs: chosen.samples(),
      jitterMs: roundMs(jitter.jitterUs / 1000),
      spikeCount: tracker.spikeCount(choice),
      playTimeMs: Math.max(0, (tracker.lastUs - tracker.firstUs) / 1000),
      startUs: tracker.firstUs,
      endUs: tracker.lastUs,
    };
    if (loss !== undefined) {
      summary.lossRate = loss.lost / (loss.lost + loss.received);
      summary.lossBursts = { count: loss.bursts, meanLength: loss.bursts > 0 ? loss.lost / loss.bursts : 0, maxLength: loss.maxBurst };
    }
    const rawId = rawIds.get(tracker.sessionId) ?? tracker.sessionId;
    const locating = options.playerLocationOfSession;
    const location =
      (typeof locating === "function"
        ? locating(rawId, sessions.get(tracker.sessionId))
        : (locating?.[tracker.sessionId] ?? locating?.[rawId])) ?? logLocations.get(tracker.sessionId);
    if (location !== undefined) {
      if ("latitude" in location) summary.playerLocation = location;
      else summary.playerPlace = location;
    }
    if (session !== undefined) {
      const prefix = clientPrefixOf(session.client.address);
      if (prefix !== undefined) summary.clientPrefix = prefix;
    }
    const asn = logAsns.get(tracker.sessionId);
    if (asn !== undefined) summary.asn = asn;
    return summary;
  };

  /** Adds a core RTT sample to the session keyed `key` (its series, spikes and jitter, and the reservoir). */
  const addSample = (key: string, sample: RttSample): void => {
    // A log RTT may come before its session's first datagram (or be all a session has): it opens the session, as in latency.
    const tracker = trackerOf(key, sample.packetIndex);
    if (tracker === undefined) return;
    if (!(tracker.firstUs <= sample.tUs)) tracker.firstUs = sample.tUs;
    if (!(tracker.lastUs >= sample.tUs)) tracker.lastUs = sample.tUs;
    tracker.signals.add(sample);
    tracker.addRtt(sample.method, sample.direction, sample.rttMs);
  };
  /** An RTT sampler feeding the sessions whose keys `keyOf` gives (one per capture: its raw session ids are its own). */
  const createSampler = (keyOf: (sessionId: string) => string): RttSampler =>
    new RttSampler((sample) => addSample(keyOf(sample.sessionId), sample), {
      ack: options.ack,
      echo: { maxPendingPerSession: maxPendingEchoes },
      reportedRttLogKeys: options.reportedRttLogKeys,
    });
  const sampler = createSampler((sessionId) => sessionId);

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
    if (roles.sequence !== undefined || roles.ack !== undefined || roles.echoKey !== undefined || roles.reportedRttMs !== undefined) sampler.onMessage(message);
    const sequence = roles.sequence;
    if (sequence !== undefined && (typeof sequence === "bigint" || Number.isFinite(sequence))) {
      const space = tracker.sequenceSpace(direction, roles.channel, roles.sequenceBits);
      if (space !== undefined) space.add(sequence);
    }
    if (roles.sendTimeUs !== undefined) tracker.signals.addSendTime(message, roles.sendTimeUs);
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
      for (const id of [...trackers.keys()].sort()) {
        const tracker = trackers.get(id)!;
        const summary = summarize(tracker);
        if (summary !== undefined) summaries.push(summary);
      }
      return summaries;
    },
    finish(): RegionsReport {
      let unlabelled = 0;
      let withoutRtt = 0;
      for (const tracker of trackers.values()) {
        if (tracker.droppedSequenceSpaces > 0) anomalies.add("E_REGIONS_TOO_MANY_SEQUENCE_SPACES", 0);
        if (regionOf(tracker.sessionId) === undefined) unlabelled++;
        else if (tracker.rttStreams.size === 0) withoutRtt++;
      }
      for (let index = 0; index < unlabelled; index++) anomalies.add("E_REGIONS_NO_REGION", 0);
      for (let index = 0; index < withoutRtt; index++) anomalies.add("E_REGIONS_NO_RTT", 0);
      // Players the server log named that no session ever named: skipped, not filed under a made-up session.
      for (let index = 0; index < logAttribution.unknownPlayers().length; index++) anomalies.add("E_LOG_PLAYER_UNKNOWN", 0);
      const report = compareRegions(analyzer.sessionSummaries(), options.comparison);
      const merged = { ...report.sessions.skipped };
      for (const [code, count] of Object.entries(anomalies.toCounts())) merged[code] = (merged[code] ?? 0) + count;
      report.sessions.skipped = Object.fromEntries(Object.entries(merged).sort(([left], [right]) => (left < right ? -1 : 1)));
      report.sessions.total = trackers.size;
      return report;
    },
  };
  return analyzer;
}
