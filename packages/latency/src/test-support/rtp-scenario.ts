import { createUdpEndpoint, MemorySink, PcapngWriter } from "@tickscope/sim";

/** One RTP packet of the synthetic call. */
export interface RtpScenarioPacket {
  /** Capture (arrival) time, µs since the Unix epoch. */
  tUs: number;
  /** RTP sequence number (16 bits). */
  sequence: number;
  /** RTP timestamp (32 bits). */
  timestamp: number;
  /** RTP payload type. */
  payloadType: number;
  /** Marker bit. */
  marker: boolean;
  /** RTP payload bytes. */
  payload: Uint8Array;
}

/** Where the phases of {@link rtpScenarioPackets} start (packet indices), for assertions. */
export interface RtpScenarioLayout {
  /** First RFC 4733 event packet. */
  firstEvent: number;
  /** The comfort-noise packet. */
  comfortNoise: number;
  /** First packet after the 2 s pause (sequence +100, timestamp +16,000). */
  afterPause: number;
  /** First packet after the fax switch-over (PCMU → PCMA, timestamp restarted lower). */
  faxSwitch: number;
  /** First packet after the second timestamp reset (forward jump, same payload type). */
  forwardReset: number;
  /** Packets in the call. */
  packets: number;
}

/** SSRC of the synthetic call. */
export const RTP_SCENARIO_SSRC = 0x5eed_c0de;

const START_US = Date.UTC(2026, 0, 5, 12, 0, 0) * 1000;
const TRANSIT_US = 10_000;

/** Deterministic network jitter in µs (0–1,200 µs, no PRNG so the fixture is readable). */
function networkJitterUs(index: number): number {
  return ((index * 7919) % 13) * 100;
}

/**
 * A synthetic G.711 call in one SSRC exercising everything that breaks naive
 * RTP jitter (RFC 3550 §6.4.1) and loss accounting:
 *
 * 1. 50 PCMU (PT 0, 8 kHz) packets every 20 ms;
 * 2. an RFC 4733 DTMF event (PT 101): 7 packets with the event's start
 *    timestamp, the last three the repeated end packet; audio is suppressed meanwhile;
 * 3. 50 PCMU packets, then one comfort-noise packet (PT 13) and 500 ms of
 *    silence (sequence continues by one, timestamp by the silence);
 * 4. 30 PCMU packets, then a 2 s pause: sequence +100 with a matching timestamp +16,000;
 * 5. 30 PCMU packets, then a fax switch-over to PCMA (PT 8) whose timestamp
 *    restarts at 3,000 while the sequence continues;
 * 6. 40 PCMA packets, then a forward timestamp reset (+2^30) with the same
 *    payload type, then 40 more.
 *
 * Arrival = send time + 10 ms + 0–1.2 ms deterministic jitter.
 */
export function rtpScenarioPackets(): { packets: RtpScenarioPacket[]; layout: RtpScenarioLayout } {
  const packets: RtpScenarioPacket[] = [];
  let sequence = 1000;
  let sendMs = 0;
  const audio = (count: number, payloadType: number, timestamp: number, marker: boolean): number => {
    for (let index = 0; index < count; index++) {
      const payload = new Uint8Array(160).fill(payloadType === 8 ? 0xd5 : 0xff);
      packets.push({
        tUs: START_US + sendMs * 1000 + TRANSIT_US + networkJitterUs(packets.length),
        sequence: sequence & 0xffff,
        timestamp: timestamp >>> 0,
        payloadType,
        marker: marker && index === 0,
        payload,
      });
      sequence += 1;
      sendMs += 20;
      timestamp += 160;
    }
    return timestamp;
  };
  let timestamp = audio(50, 0, 50_000, true);
  const firstEvent = packets.length;
  // RFC 4733 §2.5: every packet of the event carries the event's start timestamp; duration grows; the end packet is sent three times.
  const eventTimestamp = timestamp;
  for (let index = 0; index < 7; index++) {
    const end = index >= 4;
    const durationTicks = Math.min(index + 1, 5) * 160;
    const payload = new Uint8Array([5, (end ? 0x80 : 0) | 10, durationTicks >> 8, durationTicks & 0xff]);
    packets.push({
      tUs: START_US + sendMs * 1000 + TRANSIT_US + networkJitterUs(packets.length),
      sequence: sequence & 0xffff,
      timestamp: eventTimestamp,
      payloadType: 101,
      marker: index === 0,
      payload,
    });
    sequence += 1;
    sendMs += 20;
  }
  timestamp = eventTimestamp + 7 * 160;
  timestamp = audio(50, 0, timestamp, false);
  const comfortNoise = packets.length;
  packets.push({
    tUs: START_US + sendMs * 1000 + TRANSIT_US + networkJitterUs(packets.length),
    sequence: sequence & 0xffff,
    timestamp,
    payloadType: 13,
    marker: false,
    payload: new Uint8Array([40]),
  });
  sequence += 1;
  sendMs += 520;
  timestamp += 26 * 160;
  timestamp = audio(30, 0, timestamp, true);
  // A pause: 2 s without packets while the sender's sequence and timestamp kept counting.
  sequence += 100 - 1;
  sendMs += 2000 - 20;
  timestamp += 16_000 - 160;
  const afterPause = packets.length;
  audio(30, 0, timestamp, false);
  // Fax switch-over: new payload type, timestamp restarted, sequence continues.
  const faxSwitch = packets.length;
  timestamp = audio(40, 8, 3_000, false);
  const forwardReset = packets.length;
  audio(40, 8, timestamp + 2 ** 30, false);
  return { packets, layout: { firstEvent, comfortNoise, afterPause, faxSwitch, forwardReset, packets: packets.length } };
}

/** Encodes one RTP packet (RFC 3550 fixed header, no CSRC, no extension). */
export function encodeRtpPacket(packet: RtpScenarioPacket, ssrc: number): Uint8Array {
  const bytes = new Uint8Array(12 + packet.payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x80;
  bytes[1] = (packet.marker ? 0x80 : 0) | packet.payloadType;
  view.setUint16(2, packet.sequence);
  view.setUint32(4, packet.timestamp);
  view.setUint32(8, ssrc);
  bytes.set(packet.payload, 12);
  return bytes;
}

/**
 * The synthetic call of {@link rtpScenarioPackets} (or the given part of it)
 * as a PCAPNG capture (192.0.2.10:16384 → 198.51.100.20:5004).
 * `tshark -d udp.port==5004,rtp -qz rtp,streams` reads it too.
 */
export function rtpScenarioCapture(packets: readonly RtpScenarioPacket[] = rtpScenarioPackets().packets): Uint8Array {
  const sink = new MemorySink();
  const writer = new PcapngWriter(sink);
  const source = createUdpEndpoint("192.0.2.10", 16384);
  const destination = createUdpEndpoint("198.51.100.20", 5004);
  for (const packet of packets) writer.writeUdp(packet.tUs, source, destination, encodeRtpPacket(packet, RTP_SCENARIO_SSRC));
  writer.close();
  return sink.toUint8Array();
}
