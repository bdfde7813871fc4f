/**
 * Text forms of IP addresses with small caches, so the hot path does not build
 * a new string for every packet.
 */
export class AddressFormatter {
  private readonly ipv6Keys: Uint8Array[] = [];
  private readonly ipv6Texts: string[] = [];
  private ipv6Next = 0;

  /** IPv4 texts kept: a direct-mapped cache of this many slots (bounded memory, ~100 KB). */
  static readonly ipv4Slots = 4096;
  /** IPv6 entries kept (compared byte by byte, replaced round-robin). */
  static readonly ipv6Entries = 8;

  // Direct-mapped IPv4 cache: an address's slot is picked by a multiplicative hash of it; the slot
  // holds the last address that mapped there (as an int32) and its text. One multiply, one compare
  // and one load per lookup: no Map hashing (an address ≥ 2^31 is a heap number as a Map key) and
  // no string built while a capture's addresses fit. Every slot starts as a true entry: address 0, "0.0.0.0".
  private readonly ipv4Keys = new Int32Array(AddressFormatter.ipv4Slots);
  private readonly ipv4Texts: string[] = new Array<string>(AddressFormatter.ipv4Slots).fill("0.0.0.0");

  /** Dotted-quad text of a big-endian IPv4 address read as an unsigned 32-bit number. */
  ipv4Text(address: number): string {
    const key = address | 0;
    const slot = Math.imul(key, 0x9e3779b1) >>> 20; // top 12 bits: 4096 slots
    if (this.ipv4Keys[slot] === key) return this.ipv4Texts[slot]!;
    const text = `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
    this.ipv4Keys[slot] = key;
    this.ipv4Texts[slot] = text;
    return text;
  }

  /** RFC 5952 text of the 16-byte IPv6 address at `bytes[offset]`. */
  ipv6Text(bytes: Uint8Array, offset: number): string {
    const keys = this.ipv6Keys;
    for (let entry = 0; entry < keys.length; entry++) {
      const key = keys[entry];
      let same = true;
      for (let i = 0; i < 16; i++) {
        if (key[i] !== bytes[offset + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.ipv6Texts[entry];
    }
    const text = formatIpv6(bytes, offset);
    const slot = this.ipv6Next;
    this.ipv6Next = (slot + 1) % AddressFormatter.ipv6Entries;
    keys[slot] = bytes.slice(offset, offset + 16);
    this.ipv6Texts[slot] = text;
    return text;
  }
}

/** RFC 5952 canonical text of an IPv6 address (lower-case hex, longest zero run compressed). */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) return groups.map((group) => group.toString(16)).join(":");
  const head = groups.slice(0, bestStart).map((group) => group.toString(16)).join(":");
  const tail = groups.slice(bestStart + bestLength).map((group) => group.toString(16)).join(":");
  return `${head}::${tail}`;
}
