import { finalizeMix32 } from "./seeded-random.js";

/**
 * Byte-identical datagrams of one stream this close together (µs) with the same
 * IP identification, or on two capture interfaces, are one datagram captured twice.
 * A sender's IP identification repeats only after 65,536 datagrams, so 10 ms is safe.
 */
export const CAPTURE_DUPLICATE_WINDOW_US = 10_000;

/** When and how one copy of a datagram was captured (a {@link PacketObservation} fits). */
export interface CaptureStamp {
  /** Capture time, µs. */
  tUs: number;
  /** IP identification (IPv4 header or IPv6 fragment header); -1 or absent when none. */
  ipIdentification?: number;
  /** Capture interface (pcapng IDB index; 0 for pcap); absent means 0. */
  interfaceId?: number;
}

/**
 * Whether `repeat`, byte-identical to the earlier `first` of the same stream, is
 * the same datagram captured twice (a mirrored port, two capture points) rather
 * than a sender's resend: it came within `windowUs` of the first and carries the
 * same non-zero IP identification (a resend gets a new one; 0 means the stack does
 * not number atomic datagrams, so it proves nothing), or came in on another
 * capture interface. The caller has checked the payloads are byte-identical.
 * The one rule every analysis uses (bandwidth, loss), so they never disagree.
 */
export function isCaptureDuplicate(first: CaptureStamp, repeat: CaptureStamp, windowUs: number = CAPTURE_DUPLICATE_WINDOW_US): boolean {
  if (!(repeat.tUs - first.tUs <= windowUs)) return false;
  const identification = repeat.ipIdentification ?? -1;
  if (identification > 0 && (first.ipIdentification ?? -1) === identification) return true;
  return (first.interfaceId ?? 0) !== (repeat.interfaceId ?? 0);
}

/**
 * 32-bit fingerprint of a datagram payload (MurmurHash3 x86_32, seed 0): with
 * the length, the byte-identity check of {@link isCaptureDuplicate}'s callers
 * (bandwidth's and loss's duplicate rings) and the key of bandwidth's payload
 * sample. Four bytes per step with the mixing of each word independent of the
 * running hash, so it is about twice as fast as byte-wise FNV-1a on game
 * datagrams (every payload of a capture passes through it). A view at any
 * offset of its buffer gives the fingerprint of its bytes.
 */
export function payloadFingerprint(bytes: Uint8Array): number {
  const length = bytes.length;
  const whole = length & ~3;
  let hash = 0;
  for (let index = 0; index < whole; index += 4) {
    let word = bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24);
    word = Math.imul(word, 0xcc9e2d51);
    word = (word << 15) | (word >>> 17);
    hash ^= Math.imul(word, 0x1b873593);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let tail = bytes[whole]!;
    if (rest > 1) tail ^= bytes[whole + 1]! << 8;
    if (rest > 2) tail ^= bytes[whole + 2]! << 16;
    tail = Math.imul(tail, 0xcc9e2d51);
    tail = (tail << 15) | (tail >>> 17);
    hash ^= Math.imul(tail, 0x1b873593);
  }
  // MurmurHash3's finalization: the length, then fmix32
  return finalizeMix32(hash ^ length);
}
