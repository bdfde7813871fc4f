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

/** 32-bit FNV-1a of a payload: with the length, the byte-identity check of {@link isCaptureDuplicate}'s callers. */
export function payloadFingerprint(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < bytes.length; index++) {
    hash ^= bytes[index]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
