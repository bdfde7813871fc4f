import { compileProtocol, type CompiledProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { createRandom, createUdpEndpoint, MemorySink, PcapngWriter } from "@tickscope/sim";

/**
 * A small game protocol whose clocks and counters wrap: a `clockBits`-bit
 * millisecond sender clock from an arbitrary origin (`sendTime`), a
 * `tickBits`-bit tick, shots that ask for a rewind in the sender's clock
 * (`targetTime`, same width), and 16-bit or u64 datagram sequences with acks.
 */
export interface WrappingProtocolOptions {
  clockBits: number;
  tickBits: number;
  /** `u16`: arena-like wrapping sequence; `u64`: netcode-like 64-bit sequence. */
  sequence: "u16" | "u64";
}

/** The definition of {@link WrappingProtocolOptions}' protocol. */
export function wrappingProtocolDefinition(options: WrappingProtocolOptions): ProtocolDefinition {
  const sequenceType = options.sequence === "u64" ? "u64" : "u16";
  return {
    name: "wrapping_clock",
    version: "1",
    header: [
      { name: "sequence", type: sequenceType, role: "sequence" },
      { name: "ack", type: sequenceType, role: "ack" },
      { name: "ackBits", type: "u32", role: "ackBits" },
      { name: "clockMs", type: "uint", bits: options.clockBits, role: "sendTime", unit: "ms" },
      { name: "kind", type: "u8", role: "messageType" },
    ],
    body: {
      repeat: "once",
      select: {
        on: "kind",
        cases: [
          { value: 1, message: "input" },
          { value: 2, message: "snapshot" },
          { value: 3, message: "shot" },
        ],
      },
    },
    messages: [
      {
        name: "input",
        fields: [
          { name: "tick", type: "uint", bits: options.tickBits, role: "tick" },
          { name: "inputSequence", type: "u32", role: "inputSequence" },
        ],
      },
      { name: "snapshot", fields: [{ name: "tick", type: "uint", bits: options.tickBits, role: "tick" }] },
      { name: "shot", fields: [{ name: "targetMs", type: "uint", bits: options.clockBits, role: "targetTime", unit: "ms" }] },
    ],
  } as ProtocolDefinition;
}

/** Options of {@link generateWrappingClockMatch}. */
export interface WrappingClockMatchOptions extends WrappingProtocolOptions {
  seed: number;
  players: number;
  durationS: number;
  /**
   * Where in the match the clocks wrap, as a fraction of the duration (0 = at
   * the start, 0.5 = in the middle, 1 = at the end); every player's clock and
   * the server's wrap around then (a few seconds apart).
   */
  wrapAt: number;
  /** First sequence number of every sender (bigint for u64). */
  sequenceStart: bigint;
  /** Player indices whose client runs a speedhack (clock and loop at `speedFactor`). */
  speedhackers?: readonly number[];
  /** Speed of a speedhacker's clock (default 1.5). */
  speedFactor?: number;
  /** Random datagram loss in each direction (default 0.01). */
  lossRate?: number;
  /** Silence of the clients at mid-match, ms (a pause: the sequence jumps; default none). */
  pauseMs?: number;
}

/** A generated capture with its truth. */
export interface WrappingClockMatch {
  /** PCAPNG bytes, captured at the server. */
  capture: Uint8Array;
  protocol: CompiledProtocol;
  /** Session id of each player (`udp:client-server`), by player index. */
  sessionIds: string[];
  /** Players with a speedhack. */
  cheaters: Set<number>;
  /** Client datagrams sent / lost on the way to the server. */
  clientDatagrams: number;
  clientLost: number;
}

const SERVER = createUdpEndpoint("203.0.113.10", 7777);
const START_US = 1_700_000_000_000_000;

interface Captured {
  tUs: number;
  order: number;
  fromClient: boolean;
  player: number;
  payload: Uint8Array;
}

/**
 * Simulates a match of the wrapping-clock protocol: clients send inputs at
 * 60 Hz (and a shot at random, about every half second: humans do not shoot like a metronome), the server sends snapshots at 20 Hz;
 * each path has a fixed delay of 20–45 ms, up to 3 ms jitter and random loss.
 * The capture is taken at the server. Deterministic for a seed.
 */
export function generateWrappingClockMatch(options: WrappingClockMatchOptions): WrappingClockMatch {
  const random = createRandom(options.seed);
  const protocol = compileProtocol(wrappingProtocolDefinition(options));
  const clockModulus = 2 ** options.clockBits;
  const tickModulus = 2 ** options.tickBits;
  const sequenceModulus = options.sequence === "u64" ? 2n ** 64n : 2n ** 16n;
  const lossRate = options.lossRate ?? 0.01;
  const speedFactor = options.speedFactor ?? 1.5;
  const cheaters = new Set(options.speedhackers ?? []);
  const durationMs = options.durationS * 1000;
  const wireSequence = (index: number): number | bigint => {
    const value = (options.sequenceStart + BigInt(index)) % sequenceModulus;
    return options.sequence === "u64" ? value : Number(value);
  };
  const captured: Captured[] = [];
  const sessionIds: string[] = [];
  let clientDatagrams = 0;
  let clientLost = 0;
  let order = 0;
  // The server's clock and tick wrap at `wrapAt` of the match (±1 s per sender).
  const originFor = (modulus: number, shiftMs: number): number => {
    const wrapMs = options.wrapAt * durationMs + shiftMs;
    return (((modulus - Math.round(wrapMs)) % modulus) + modulus) % modulus;
  };
  for (let player = 0; player < options.players; player++) {
    const client = createUdpEndpoint(`198.51.100.${10 + player}`, 40000 + player);
    sessionIds.push(`udp:${client.address}:${client.port}-${SERVER.address}:${SERVER.port}`);
    const upDelayMs = 20 + random.next() * 25;
    const downDelayMs = 20 + random.next() * 25;
    const jitterMs = (): number => random.next() * 3;
    const clientClockOriginMs = originFor(clockModulus, random.next() * 2000 - 1000);
    const serverClockOriginMs = originFor(clockModulus, random.next() * 2000 - 1000);
    const clientTickOrigin = originFor(tickModulus, 0) % tickModulus;
    const speed = cheaters.has(player) ? speedFactor : 1;
    // Server snapshots first (the client acks what has arrived by its send time).
    const snapshotSends: { sendMs: number; arriveMs: number; lost: boolean }[] = [];
    for (let sendMs = 0, index = 0; sendMs < durationMs; sendMs += 50, index++) {
      snapshotSends.push({ sendMs, arriveMs: sendMs + downDelayMs + jitterMs(), lost: random.next() < lossRate });
    }
    const clientArrivals: { arriveMs: number; index: number }[] = [];
    let inputIndex = 0;
    let clientSequence = 0;
    let received = -1;
    let receivedMask = 0;
    let snapshotPointer = 0;
    const pauseStartMs = durationMs / 2;
    const frameMs = 1000 / 60 / speed;
    for (let realMs = 0; realMs < durationMs; realMs += frameMs) {
      if (options.pauseMs !== undefined && realMs >= pauseStartMs && realMs < pauseStartMs + options.pauseMs) {
        clientSequence += 1; // the client keeps numbering while its datagrams are held (a long pause)
        inputIndex += 1;
        continue;
      }
      while (snapshotPointer < snapshotSends.length && snapshotSends[snapshotPointer]!.arriveMs <= realMs) {
        if (!snapshotSends[snapshotPointer]!.lost) {
          const shift = snapshotPointer - received;
          receivedMask = shift >= 32 ? 0 : ((receivedMask << shift) | (received >= 0 ? 1 << (shift - 1) : 0)) >>> 0;
          received = snapshotPointer;
        }
        snapshotPointer++;
      }
      const clockMs = (clientClockOriginMs + Math.floor(realMs * speed)) % clockModulus;
      const tick = (clientTickOrigin + Math.floor((realMs * speed * 60) / 1000)) % tickModulus;
      const header = { sequence: wireSequence(clientSequence), ack: wireSequence(Math.max(received, 0)), ackBits: receivedMask, clockMs };
      const datagrams = [{ index: clientSequence, payload: protocol.encodeDatagram([{ type: "input", fields: { tick, inputSequence: inputIndex } }], { header: { ...header, kind: 1 } }) }];
      if (random.next() < 1 / 30) {
        clientSequence += 1;
        const targetMs = (((clockMs - 100 - Math.round((upDelayMs + downDelayMs) / 2)) % clockModulus) + clockModulus) % clockModulus;
        datagrams.push({
          index: clientSequence,
          payload: protocol.encodeDatagram([{ type: "shot", fields: { targetMs } }], { header: { ...header, sequence: wireSequence(clientSequence), kind: 3 } }),
        });
      }
      for (const { index, payload } of datagrams) {
        clientDatagrams += 1;
        if (random.next() < lossRate) {
          clientLost += 1;
          continue;
        }
        const arriveMs = realMs + upDelayMs + jitterMs();
        clientArrivals.push({ arriveMs, index });
        captured.push({ tUs: START_US + Math.round(arriveMs * 1000), order: order++, fromClient: true, player, payload });
      }
      clientSequence += 1;
      inputIndex += 1;
    }
    clientArrivals.sort((left, right) => left.arriveMs - right.arriveMs);
    let arrivalPointer = 0;
    let highestClient = 0;
    for (const [index, snapshot] of snapshotSends.entries()) {
      while (arrivalPointer < clientArrivals.length && clientArrivals[arrivalPointer]!.arriveMs <= snapshot.sendMs) {
        highestClient = Math.max(highestClient, clientArrivals[arrivalPointer]!.index);
        arrivalPointer++;
      }
      const clockMs = (serverClockOriginMs + snapshot.sendMs) % clockModulus;
      const tick = (originFor(tickModulus, 0) + Math.floor((snapshot.sendMs * 60) / 1000)) % tickModulus;
      const payload = protocol.encodeDatagram([{ type: "snapshot", fields: { tick } }], {
        header: { sequence: wireSequence(index), ack: wireSequence(highestClient), ackBits: 0xffffffff, clockMs, kind: 2 },
      });
      captured.push({ tUs: START_US + Math.round(snapshot.sendMs * 1000), order: order++, fromClient: false, player, payload });
    }
  }
  captured.sort((left, right) => left.tUs - right.tUs || left.order - right.order);
  const sink = new MemorySink();
  const writer = new PcapngWriter(sink);
  for (const entry of captured) {
    const client = createUdpEndpoint(`198.51.100.${10 + entry.player}`, 40000 + entry.player);
    if (entry.fromClient) writer.writeUdp(entry.tUs, client, SERVER, entry.payload);
    else writer.writeUdp(entry.tUs, SERVER, client, entry.payload);
  }
  writer.close();
  return { capture: sink.toUint8Array(), protocol, sessionIds, cheaters, clientDatagrams, clientLost };
}
