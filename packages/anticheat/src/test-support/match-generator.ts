import type { DecodeAnomaly, GameMessage, MessageRoles, Session } from "@tickscope/core";
import type { CheatKind } from "../cheat-kind.js";
import { createPaths, NETWORK_PROFILES, type NetworkProfileName, type PathModel } from "./network-model.js";
import { mixSeed, Random } from "./random.js";

/** Cheat intensity of a labelled player. */
export type Intensity = "low" | "medium" | "high";

/** Ground truth of one generated player. */
export interface PlayerTruth {
  sessionId: string;
  player: string;
  cheat: CheatKind | "honest";
  intensity: Intensity | undefined;
  /** Variant of the cheat (e.g. fake latency `reported` or `selective`). */
  mode: string | undefined;
  network: NetworkProfileName;
  /** True when the player shares the path that stalls (uplink only) for a group at once. */
  sharedPath: boolean;
}

/** One player to generate. */
export interface PlayerSpec {
  cheat: CheatKind | "honest";
  intensity?: Intensity;
  network: NetworkProfileName;
  mode?: string;
  /** The cheat is active only in this part of the capture, seconds from the player's start (default: all of it). */
  cheatWindowSeconds?: readonly [number, number];
}

/**
 * Protocol shape of the generated client traffic. `separate`: one message per
 * datagram, every message claims its `sendTime` (arena-like). `bundled`: one
 * datagram per client frame carrying the newest input (claimed by its `tick`
 * only) plus the frame's shot and pong, which claim nothing themselves (the
 * shape where a shot rides with the newest input).
 */
export type ProtocolShape = "separate" | "bundled";

/** What is wrong with the input (the analyst's key file or definition), not with a player. */
export type InputFault = "wrongKey" | "wrongDefinition";

/** Options of {@link generateMatch}. */
export interface MatchOptions {
  seed: number;
  players: readonly PlayerSpec[];
  durationSeconds: number;
  /** Players on one path whose uplink stalls (buffered) at the same moment: a path outage, not lag switches. */
  sharedPathPlayers?: number;
  /** Client datagram shape (default `separate`). */
  shape?: ProtocolShape;
  /**
   * netcode-like connection (authenticated traffic): the server comes up this
   * many seconds (uniform in the range) after the client starts; until its
   * first datagram arrives the client resends an identical, unauthenticated
   * connection request (sequence 0) every 100 ms. Every later message verifies
   * (`authenticated: true`).
   */
  handshakeSeconds?: readonly [number, number];
  /** Every client and server datagram after the handshake fails to verify (`wrongKey`) or to decode (`wrongDefinition`). */
  inputFault?: InputFault;
}

/** A generated, labelled capture: sessions, time-ordered messages and anomalies, and the truth. */
export interface GeneratedMatch {
  sessions: Session[];
  /** Messages and anomalies in capture order. */
  events: ReadonlyArray<{ message?: GameMessage; anomaly?: DecodeAnomaly }>;
  truth: PlayerTruth[];
  messageCount: number;
}

const START_US = 1_760_000_000_000_000;
const FRAME_CLIENT_US = 1_000_000 / 60;
const SNAPSHOT_US = 50_000;
const PING_US = 1_000_000;
const INTERPOLATION_MS = 100;
const MAX_SPEED = 7;
const EMPTY_FIELDS = Object.freeze({}) as Record<string, never>;

interface Pending {
  tUs: number;
  order: number;
  message?: Omit<GameMessage, "packetIndex">;
  /** Several messages of one datagram (same packet index). */
  group?: Array<Omit<GameMessage, "packetIndex">>;
  anomaly?: Omit<DecodeAnomaly, "packetIndex">;
}

/** Honest and cheating players for an evaluation round: every kind × intensity `cheatersPerCell` times. */
export function evaluationPlayers(seed: number, honestPerProfile: number, cheatersPerCell: number, kinds: readonly CheatKind[]): PlayerSpec[] {
  const random = new Random(mixSeed(seed, 77));
  const players: PlayerSpec[] = [];
  for (const network of NETWORK_PROFILES) for (let index = 0; index < honestPerProfile; index++) players.push({ cheat: "honest", network });
  let cell = 0;
  for (const cheat of kinds) {
    for (const intensity of ["low", "medium", "high"] as const) {
      for (let index = 0; index < cheatersPerCell; index++) {
        const network = random.chance(0.4) ? "good" : random.pick(NETWORK_PROFILES);
        const mode = cheat === "fakeLatency" ? (cell % 2 === 0 ? "reported" : "selective") : cheat === "replay" ? (cell % 2 === 0 ? "resend" : "edit") : undefined;
        players.push(mode === undefined ? { cheat, intensity, network } : { cheat, intensity, network, mode });
        cell += 1;
      }
    }
  }
  return players;
}

/**
 * Generates a labelled match as a server-side capture would see it: per
 * player, a client at 60 Hz (inputs with position, shots with a lag
 * compensation target, pongs, reported RTT) over a simulated path, a server
 * at 20 Hz snapshots + 1 Hz pings, and the cheat of the player's truth.
 * Deterministic for a seed.
 */
export function generateMatch(options: MatchOptions): GeneratedMatch {
  const durationUs = options.durationSeconds * 1e6;
  const pending: Pending[] = [];
  const sessions: Session[] = [];
  const truth: PlayerTruth[] = [];
  const sharedCount = options.sharedPathPlayers ?? 0;
  const sharedRandom = new Random(mixSeed(options.seed, 991));
  const sharedStallStart = START_US + sharedRandom.uniform(0.3, 0.7) * durationUs;
  const sharedStall = { startUs: sharedStallStart, endUs: sharedStallStart + sharedRandom.uniform(400_000, 900_000), buffered: true };
  const sharedMembers = new Set<number>();
  while (sharedMembers.size < Math.min(sharedCount, options.players.length)) sharedMembers.add(sharedRandom.integer(0, options.players.length - 1));
  let order = 0;
  options.players.forEach((spec, playerIndex) => {
    const random = new Random(mixSeed(options.seed, playerIndex + 1));
    const sessionId = `s${String(playerIndex).padStart(4, "0")}`;
    const player = `p${playerIndex}`;
    const startUs = START_US + random.uniform(0, 1e6);
    const { uplink, downlink } = createPaths(random, spec.network, startUs, durationUs);
    const shared = sharedMembers.has(playerIndex);
    if (shared) uplink.parameters.stalls = [...uplink.parameters.stalls, sharedStall];
    truth.push({ sessionId, player, cheat: spec.cheat, intensity: spec.intensity, mode: spec.mode, network: spec.network, sharedPath: shared });
    sessions.push({
      id: sessionId,
      transport: "udp",
      client: { address: `10.0.${playerIndex >> 8}.${playerIndex & 255}`, port: 40000 + playerIndex },
      server: { address: "203.0.113.10", port: 7777 },
      firstUs: startUs,
      lastUs: startUs + durationUs,
      clientToServer: { packets: 0, bytes: 0 },
      serverToClient: { packets: 0, bytes: 0 },
      player,
    } as Session);
    const push = (entry: Omit<Pending, "order">) => pending.push({ ...entry, order: order++ });
    simulatePlayer(random, spec, sessionId, playerIndex, startUs, durationUs, uplink, downlink, push, options);
  });
  pending.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
  const events: Array<{ message?: GameMessage; anomaly?: DecodeAnomaly }> = [];
  let messageCount = 0;
  for (let index = 0; index < pending.length; index++) {
    const entry = pending[index]!;
    if (entry.group !== undefined) {
      entry.group.forEach((member, indexInPacket) => {
        const message = { ...member, packetIndex: index, indexInPacket } as GameMessage;
        events.push({ message });
        messageCount += 1;
      });
    } else if (entry.message !== undefined) {
      (entry.message as GameMessage).packetIndex = index;
      events.push({ message: entry.message as GameMessage });
      messageCount += 1;
    } else {
      (entry.anomaly as DecodeAnomaly).packetIndex = index;
      events.push({ anomaly: entry.anomaly as DecodeAnomaly });
    }
  }
  return { sessions, events, truth, messageCount };
}

function simulatePlayer(
  random: Random,
  spec: PlayerSpec,
  sessionId: string,
  playerIndex: number,
  startUs: number,
  durationUs: number,
  uplink: PathModel,
  downlink: PathModel,
  push: (entry: Omit<Pending, "order">) => void,
  match: MatchOptions,
): void {
  const cheat = spec.cheat;
  const bundled = match.shape === "bundled";
  const fault = match.inputFault;
  const handshakeUs = match.handshakeSeconds === undefined ? 0 : random.uniform(match.handshakeSeconds[0], match.handshakeSeconds[1]) * 1e6;
  const authenticated = match.handshakeSeconds !== undefined;
  const window = spec.cheatWindowSeconds;
  const cheatActive = (realUs: number) => window === undefined || (realUs >= startUs + window[0] * 1e6 && realUs < startUs + window[1] * 1e6);
  const level = spec.intensity === "low" ? 0 : spec.intensity === "medium" ? 1 : 2;
  const endUs = startUs + durationUs;
  // --- server side: snapshots and pings, captured at send time; arrival at the client computed.
  const serverArrivals: Array<{ arriveUs: number; sequence: number; pingId: number; sentUs: number }> = [];
  let serverSequence = random.integer(0, 65535);
  let pingId = playerIndex * 100_000;
  let nextPingUs = startUs + random.uniform(0.2, 1) * 1e6;
  if (handshakeUs > 0) nextPingUs += handshakeUs;
  for (let tUs = startUs + handshakeUs; tUs < endUs; tUs += SNAPSHOT_US) {
    const isPing = tUs >= nextPingUs;
    const sequence = serverSequence;
    serverSequence = (serverSequence + 1) & 0xffff;
    const roles: MessageRoles = { sequence, sequenceBits: 16, sendTimeUs: tUs, tick: Math.round((tUs - START_US) / SNAPSHOT_US) };
    let id = -1;
    if (isPing) {
      nextPingUs += PING_US;
      id = ++pingId;
      roles.echoKey = String(id);
      roles.echoPhase = "request";
    }
    if (authenticated) roles.authenticated = true;
    if (fault !== undefined) {
      const code = fault === "wrongKey" ? "E_DECRYPT_FAILED" : "E_VALUE_OUT_OF_RANGE";
      push({ tUs, anomaly: { sessionId, direction: "serverToClient", tUs, code, detail: fault, fieldPath: "payload" } });
    } else {
      push({ tUs, message: serverMessage(sessionId, tUs, isPing ? "ping" : "snapshot", roles) });
    }
    const arrive = downlink.transmit(tUs);
    if (arrive === arrive) serverArrivals.push({ arriveUs: arrive, sequence, pingId: id, sentUs: tUs });
  }
  serverArrivals.sort((a, b) => a.arriveUs - b.arriveUs);

  // --- client clock.
  const driftPpm = random.uniform(-150, 150);
  const speedFactor = cheat === "speedhack" ? [1.05, 1.25, 2][level]! : 1;
  const rate = (1 + driftPpm * 1e-6) * speedFactor;
  const clockOriginUs = random.uniform(1e9, 5e12);
  const tickOrigin = Math.round(clockOriginUs / FRAME_CLIENT_US);

  // --- client state.
  let x = random.uniform(-400, 400);
  let y = random.uniform(-400, 400);
  let heading = random.uniform(0, 2 * Math.PI);
  let speed = random.uniform(0, MAX_SPEED);
  let sequence = random.integer(0, 65535);
  let lastAck = -1;
  let arrivalCursor = 0;
  let lastDownDelayMs = 50;
  let rttEstimateMs = Number.NaN;
  const pongQueue: number[] = [];
  const sentHistory: Array<{ parts: Array<{ type: string; roles: MessageRoles }>; tUs: number }> = [];
  // Fire schedule (claimed-time based): bursts for humans, scripted gaps for bots.
  let nextFireUs = clockOriginUs + random.uniform(0.3, 1.5) * 1e6;
  let burstLeft = 0;
  // Cheat schedules.
  const holds: Array<[number, number]> = [];
  if (cheat === "lagSwitch") {
    const holdMs = [600, 1200, 2500][level]!;
    for (let at = startUs + random.uniform(4, 8) * 1e6; at < endUs - 3e6; at += random.uniform(6, 12) * 1e6) {
      holds.push([at, at + holdMs * 1000 * random.uniform(0.95, 1.1)]);
    }
  }
  const movementBursts: Array<[number, number]> = [];
  if (cheat === "movement") {
    for (let at = startUs + random.uniform(3, 8) * 1e6; at < endUs - 3e6; at += random.uniform(8, 14) * 1e6) movementBursts.push([at, at + 3e6]);
  }
  let nextTeleportUs = cheat === "movement" && level === 2 ? startUs + 4e6 : Number.POSITIVE_INFINITY;
  const anomalyTimes: number[] = [];
  if (cheat === "tampering") for (let count = [2, 8, 30][level]!; count > 0; count--) anomalyTimes.push(startUs + random.uniform(0.05, 0.95) * durationUs);
  anomalyTimes.sort((a, b) => a - b);
  const replayTimes: number[] = [];
  if (cheat === "replay") for (let count = [3, 10, 40][level]!; count > 0; count--) replayTimes.push(startUs + random.uniform(0.2, 0.95) * durationUs);
  replayTimes.sort((a, b) => a - b);
  const fakeMode = spec.mode ?? "reported";
  const reportedInflationMs = cheat === "fakeLatency" && fakeMode === "reported" ? [70, 150, 300][level]! : 0;
  const shotHoldMs = cheat === "fakeLatency" && fakeMode === "selective" ? [50, 100, 200][level]! : 0;
  const rewindExtraMs = cheat === "rewindAbuse" ? [150, 300, 600][level]! : 0;
  const floodFactor = cheat === "inputFlooding" ? [1.7, 3, 8][level]! : 1;
  const botModes = cheat === "botTiming" ? ([[300, 500, 800], [350, 650], [400]] as const)[level]! : undefined;
  const botJitterMs = cheat === "botTiming" ? [12, 5, 0][level]! : 0;

  type Part = { type: string; roles: MessageRoles };
  let holdQueue: Part[][] = [];
  let holdIndex = 0;
  // bundled: the frame's messages, sent as one datagram at the end of the frame.
  let frameParts: Part[] = [];
  let frameExtraUs = 0;
  const send = (type: string, roles: MessageRoles, realUs: number, extraDelayUs = 0) => {
    if (bundled) {
      frameParts.push({ type, roles });
      if (extraDelayUs > frameExtraUs) frameExtraUs = extraDelayUs;
      return;
    }
    sendDatagram([{ type, roles }], realUs, extraDelayUs);
  };
  const sendDatagram = (parts: Part[], realUs: number, extraDelayUs: number) => {
    for (const part of parts) {
      part.roles.sequence = sequence;
      part.roles.sequenceBits = 16;
      if (lastAck >= 0) part.roles.ack = lastAck;
      if (authenticated) part.roles.authenticated = true;
    }
    sequence = (sequence + 1) & 0xffff;
    while (holdIndex < holds.length && holds[holdIndex]![1] <= realUs) {
      flushHold(holds[holdIndex]![1]);
      holdIndex += 1;
    }
    const hold = holds[holdIndex];
    if (hold !== undefined && realUs >= hold[0] && realUs < hold[1]) {
      holdQueue.push(parts);
      return;
    }
    transmitClient(parts, realUs + extraDelayUs, false, extraDelayUs > 0);
  };
  const flushHold = (releaseUs: number) => {
    holdQueue.forEach((parts, index) => transmitClient(parts, releaseUs + index * 60));
    holdQueue = [];
  };
  const transmitClient = (parts: Part[], sendRealUs: number, unencrypted = false, heldBack = false) => {
    const arrive = uplink.transmit(sendRealUs, heldBack);
    if (arrive === arrive) {
      const deliver = (atUs: number) => {
        if (fault !== undefined && !(fault === "wrongKey" && unencrypted)) {
          const code = fault === "wrongKey" ? "E_DECRYPT_FAILED" : "E_VALUE_OUT_OF_RANGE";
          push({ tUs: atUs, anomaly: { sessionId, direction: "clientToServer", tUs: atUs, code, detail: fault, fieldPath: "payload" } });
        } else if (parts.length === 1) {
          push({ tUs: atUs, message: clientMessage(sessionId, atUs, parts[0]!.type, parts[0]!.roles) });
        } else {
          push({ tUs: atUs, group: parts.map((part) => clientMessage(sessionId, atUs, part.type, part.roles)) });
        }
      };
      deliver(arrive);
      const duplicate = uplink.duplicateArrivalUs;
      if (duplicate === duplicate) deliver(duplicate);
      if (sentHistory.length < 4000) sentHistory.push({ parts, tUs: arrive });
    }
  };

  let inputSequence = 0;
  for (let frame = 0; ; frame++) {
    const clientUs = bundled ? (tickOrigin + frame) * FRAME_CLIENT_US : clockOriginUs + frame * FRAME_CLIENT_US;
    const realUs = startUs + (frame * FRAME_CLIENT_US) / rate;
    if (realUs >= endUs) break;
    // receive server datagrams
    while (arrivalCursor < serverArrivals.length && serverArrivals[arrivalCursor]!.arriveUs <= realUs) {
      const arrival = serverArrivals[arrivalCursor++]!;
      lastAck = arrival.sequence;
      lastDownDelayMs = (arrival.arriveUs - arrival.sentUs) / 1000;
      if (arrival.pingId >= 0) pongQueue.push(arrival.pingId);
    }
    // netcode-like handshake: until the server's first datagram arrives, resend the same
    // (unencrypted, unauthenticated) connection request every 100 ms.
    if (handshakeUs > 0 && arrivalCursor === 0) {
      if (frame % 6 === 0) transmitClient([{ type: "connectionRequest", roles: { sequence: 0, sequenceBits: 64 } }], realUs, true);
      continue;
    }
    const active = cheatActive(realUs);
    // movement (in claimed time: the client simulates with its own clock)
    const dt = FRAME_CLIENT_US / 1e6;
    heading += random.normal() * 0.08;
    speed = Math.min(MAX_SPEED, Math.max(0, speed + random.normal() * 0.4));
    let speedNow = speed;
    for (const [from, to] of movementBursts) if (realUs >= from && realUs < to) speedNow = MAX_SPEED * [1.9, 2.9, 4.3][level]!;
    x += Math.cos(heading) * speedNow * dt;
    y += Math.sin(heading) * speedNow * dt;
    if (Math.abs(x) > 900 || Math.abs(y) > 900) heading += Math.PI;
    if (realUs >= nextTeleportUs) {
      x += 45 * Math.cos(heading);
      y += 45 * Math.sin(heading);
      nextTeleportUs = realUs + 8e6;
    }
    const reported = Number.isNaN(rttEstimateMs) ? undefined : Math.max(1, rttEstimateMs + random.normal() * 3 + (active ? reportedInflationMs : 0));
    const commands = floodFactor === 1 ? 1 : Math.floor(floodFactor) + (random.chance(floodFactor - Math.floor(floodFactor)) ? 1 : 0);
    for (let command = 0; command < commands; command++) {
      inputSequence += 1;
      const roles: MessageRoles = bundled
        ? { tick: tickOrigin + frame, inputSequence, inputCount: 3, position: { x, y, z: 0 } }
        : { sendTimeUs: clientUs, inputSequence, inputCount: 3, position: { x, y, z: 0 } };
      if (reported !== undefined && frame % 6 === 0) roles.reportedRttMs = Math.round(reported);
      send("input", roles, realUs);
    }
    // pongs
    while (pongQueue.length > 0) {
      const id = pongQueue.shift()!;
      const roles: MessageRoles = bundled ? { echoKey: String(id), echoPhase: "reply" } : { sendTimeUs: clientUs, echoKey: String(id), echoPhase: "reply" };
      send("pong", roles, realUs);
      const rttSample = lastDownDelayMs + uplink.parameters.baseMs + random.exponential(uplink.parameters.jitterMeanMs) + 8;
      rttEstimateMs = Number.isNaN(rttEstimateMs) ? rttSample : rttEstimateMs + (rttSample - rttEstimateMs) * 0.2;
    }
    // shots
    if (clientUs >= nextFireUs) {
      const target = clientUs - (INTERPOLATION_MS + lastDownDelayMs + (active ? rewindExtraMs : 0)) * 1000 * rate;
      // bundled: the shot claims nothing itself; it rides with (and claims) the frame's newest input.
      const roles: MessageRoles = bundled ? { targetTimeUs: target, position: { x, y, z: 0 } } : { sendTimeUs: clientUs, targetTimeUs: target, position: { x, y, z: 0 } };
      send("shot", roles, realUs, (active ? shotHoldMs : 0) * 1000 * (0.6 + 0.8 * random.next()));
      if (botModes !== undefined) {
        nextFireUs = clientUs + (random.pick(botModes) + random.uniform(-botJitterMs, botJitterMs)) * 1000;
      } else if (burstLeft > 0) {
        burstLeft -= 1;
        nextFireUs = clientUs + 100_000;
      } else {
        burstLeft = random.integer(0, 4);
        nextFireUs = clientUs + Math.min(6e6, 900_000 * Math.exp(0.7 * random.normal()));
      }
    }
    if (bundled && frameParts.length > 0) {
      sendDatagram(frameParts, realUs, frameExtraUs);
      frameParts = [];
      frameExtraUs = 0;
    }
    // tampering: packets that fail to decode or authenticate
    while (anomalyTimes.length > 0 && anomalyTimes[0]! <= realUs) {
      anomalyTimes.shift();
      const arrive = uplink.transmit(realUs);
      if (arrive === arrive) {
        const code = random.pick(["E_VALUE_OUT_OF_RANGE", "E_LENGTH_EXCEEDED", "E_DECRYPT_FAILED"]);
        push({ tUs: arrive, anomaly: { sessionId, direction: "clientToServer", tUs: arrive, code, detail: "tampered field", fieldPath: "input.inputs" } });
      }
    }
    // replay: re-send an old datagram, or reuse a recent sequence with an edited payload
    while (replayTimes.length > 0 && replayTimes[0]! <= realUs) {
      replayTimes.shift();
      if (sentHistory.length < 400) continue;
      if (spec.mode === "edit") {
        const original = sentHistory[sentHistory.length - random.integer(5, 40)]!;
        const parts = original.parts.map((part, index) => ({ type: part.type, roles: index === 0 ? { ...part.roles, position: { x: x + 3, y, z: 0 } } : { ...part.roles } }));
        transmitClient(parts, realUs);
      } else {
        const original = sentHistory[sentHistory.length - random.integer(120, 380)]!;
        transmitClient(
          original.parts.map((part) => ({ type: part.type, roles: { ...part.roles } })),
          realUs,
        );
      }
    }
  }
  flushHold(endUs);
}

function serverMessage(sessionId: string, tUs: number, type: string, roles: MessageRoles): Omit<GameMessage, "packetIndex"> {
  return { sessionId, direction: "serverToClient", tUs, indexInPacket: 0, type, byteLength: 40, packetWireLength: 82, fields: EMPTY_FIELDS, roles };
}

function clientMessage(sessionId: string, tUs: number, type: string, roles: MessageRoles): Omit<GameMessage, "packetIndex"> {
  return { sessionId, direction: "clientToServer", tUs, indexInPacket: 0, type, byteLength: type === "input" ? 24 : 32, packetWireLength: type === "input" ? 66 : 74, fields: EMPTY_FIELDS, roles };
}
