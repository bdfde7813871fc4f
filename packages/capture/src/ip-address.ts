/**
 * Text forms of IP addresses with small caches, so the hot path does not build
 * a new string for every packet.
 */
export class AddressFormatter {
  private readonly ipv4 = new Map<number, string>();
  private readonly ipv6Keys: Uint8Array[] = [];
  private readonly ipv6Texts: string[] = [];
  private ipv6Next = 0;

  /** Maximum IPv4 entries kept before the cache is cleared (bounded memory). */
  static readonly maxIpv4Entries = 65_536;
  /** IPv6 entries kept (compared byte by byte, replaced round-robin). */
  static readonly ipv6Entries = 8;

  // The two latest addresses: a conversation's packets alternate between two
  // addresses, so most lookups are answered here without hashing.
  private recentAddress = -1;
  private recentText = "";
  private previousAddress = -1;
  private previousText = "";

  /** Dotted-quad text of a big-endian IPv4 address read as an unsigned 32-bit number. */
  ipv4Text(address: number): string {
    if (address === this.recentAddress) return this.recentText;
    if (address === this.previousAddress) {
      const text = this.previousText;
      this.previousAddress = this.recentAddress;
      this.previousText = this.recentText;
      this.recentAddress = address;
      this.recentText = text;
      return text;
    }
    const text = this.ipv4Lookup(address);
    this.previousAddress = this.recentAddress;
    this.previousText = this.recentText;
    this.recentAddress = address;
    this.recentText = text;
    return text;
  }

  private ipv4Lookup(address: number): string {
    let text = this.ipv4.get(address);
    if (text === undefined) {
      text = `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
      if (this.ipv4.size >= AddressFormatter.maxIpv4Entries) this.ipv4.clear();
      this.ipv4.set(address, text);
    }
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
