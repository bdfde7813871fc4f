/** LINKTYPE_* values tickscope decodes. */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  null: 0,
  /** Ethernet II (with 802.1Q / 802.1ad / QinQ tags). */
  ethernet: 1,
  /** Raw IP (value used by some BSDs). */
  rawAlternate12: 12,
  /** Raw IP (value used by some BSDs). */
  rawAlternate14: 14,
  /** Raw IPv4/IPv6 (LINKTYPE_RAW). */
  raw: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  loop: 108,
  /** Linux cooked capture v1. */
  linuxSll: 113,
  /** Raw IPv4. */
  ipv4: 228,
  /** Raw IPv6. */
  ipv6: 229,
  /** Linux cooked capture v2. */
  linuxSll2: 276,
} as const;

const names: Record<number, string> = {
  0: "null",
  1: "ethernet",
  12: "raw",
  14: "raw",
  101: "raw",
  108: "loop",
  113: "linux-sll",
  228: "ipv4",
  229: "ipv6",
  276: "linux-sll2",
};

/** Short human name of a link type (`ethernet`, `linux-sll2`, ...), or `linktype-N` when unknown. */
export function linkTypeName(linkType: number): string {
  return names[linkType] ?? `linktype-${linkType}`;
}

/** True when tickscope can decode frames of this link type. */
export function isSupportedLinkType(linkType: number): boolean {
  return names[linkType] !== undefined;
}
