/** Small builders for link/IP/UDP/TCP test frames (test-only). */

function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Concatenates byte arrays. */
export { concat };

/** Parses a dotted IPv4 address. */
export function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split(".").map(Number));
}

/** Parses an IPv6 address (full or `::`-compressed). */
export function ipv6Bytes(address: string): Uint8Array {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  const out = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    out[index * 2] = value >> 8;
    out[index * 2 + 1] = value & 255;
  });
  return out;
}

/** A UDP header + payload (checksum 0). `lengthOverride` writes a wrong length field. */
export function udp(sourcePort: number, destinationPort: number, payload: Uint8Array, lengthOverride?: number): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, sourcePort);
  view.setUint16(2, destinationPort);
  view.setUint16(4, lengthOverride ?? 8 + payload.length);
  out.set(payload, 8);
  return out;
}

/** A minimal TCP header (20 bytes, or more with `optionWords`) + payload. */
export function tcp(sourcePort: number, destinationPort: number, payload: Uint8Array, optionWords = 0): Uint8Array {
  const headerLength = 20 + optionWords * 4;
  const out = new Uint8Array(headerLength + payload.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, sourcePort);
  view.setUint16(2, destinationPort);
  out[12] = (headerLength / 4) << 4;
  out[13] = 0x18;
  out.set(payload, headerLength);
  return out;
}

/** Options of {@link ipv4}. */
export interface Ipv4Options {
  protocol?: number;
  identification?: number;
  fragmentOffsetBytes?: number;
  moreFragments?: boolean;
  optionWords?: number;
  totalLengthOverride?: number;
}

/** An IPv4 header + payload. */
export function ipv4(source: string, destination: string, payload: Uint8Array, options: Ipv4Options = {}): Uint8Array {
  const headerLength = 20 + (options.optionWords ?? 0) * 4;
  const out = new Uint8Array(headerLength + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x40 | (headerLength / 4);
  view.setUint16(2, options.totalLengthOverride ?? out.length);
  view.setUint16(4, options.identification ?? 1);
  view.setUint16(6, ((options.moreFragments ? 1 : 0) << 13) | ((options.fragmentOffsetBytes ?? 0) / 8));
  out[8] = 64;
  out[9] = options.protocol ?? 17;
  out.set(ipv4Bytes(source), 12);
  out.set(ipv4Bytes(destination), 16);
  for (let i = 20; i < headerLength; i++) out[i] = 1; // NOP options
  out.set(payload, headerLength);
  return out;
}

/** An IPv6 extension header: type and raw body (padded to 8 bytes; next-header byte filled in). */
export interface Ipv6Extension {
  type: number;
  body?: Uint8Array;
}

/** An IPv6 header + extension headers + payload. */
export function ipv6(source: string, destination: string, payload: Uint8Array, nextHeader = 17, extensions: Ipv6Extension[] = []): Uint8Array {
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < extensions.length; i++) {
    const extension = extensions[i];
    const following = i + 1 < extensions.length ? extensions[i + 1].type : nextHeader;
    if (extension.type === 44) {
      const body = extension.body ?? new Uint8Array(6);
      const header = new Uint8Array(8);
      header[0] = following;
      header.set(body.subarray(0, 6), 2);
      encoded.push(header);
      continue;
    }
    const body = extension.body ?? new Uint8Array(6);
    const length = Math.ceil((body.length + 2) / 8) * 8;
    const header = new Uint8Array(length);
    header[0] = following;
    header[1] = length / 8 - 1;
    header.set(body, 2);
    encoded.push(header);
  }
  const rest = concat(...encoded, payload);
  const out = new Uint8Array(40 + rest.length);
  const view = new DataView(out.buffer);
  out[0] = 0x60;
  view.setUint16(4, rest.length);
  out[6] = extensions.length > 0 ? extensions[0].type : nextHeader;
  out[7] = 64;
  out.set(ipv6Bytes(source), 8);
  out.set(ipv6Bytes(destination), 24);
  out.set(rest, 40);
  return out;
}

/** IPv6 fragment header body (6 bytes after next-header/reserved). */
export function ipv6FragmentBody(offsetBytes: number, more: boolean, identification: number): Uint8Array {
  const body = new Uint8Array(6);
  const view = new DataView(body.buffer);
  view.setUint16(0, offsetBytes | (more ? 1 : 0));
  view.setUint32(2, identification);
  return body;
}

/** Ethernet II frame with optional VLAN tags (TPIDs, e.g. [0x88a8, 0x8100] for QinQ). */
export function ethernet(etherType: number, payload: Uint8Array, vlanTpids: number[] = []): Uint8Array {
  const out = new Uint8Array(14 + vlanTpids.length * 4 + payload.length);
  const view = new DataView(out.buffer);
  out.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  let offset = 12;
  for (const tpid of vlanTpids) {
    view.setUint16(offset, tpid);
    view.setUint16(offset + 2, 100);
    offset += 4;
  }
  view.setUint16(offset, etherType);
  out.set(payload, offset + 2);
  return out;
}

/** Linux cooked v1 header + payload. */
export function linuxSll(protocol: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  new DataView(out.buffer).setUint16(14, protocol);
  out.set(payload, 16);
  return out;
}

/** Linux cooked v2 header + payload. */
export function linuxSll2(protocol: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  new DataView(out.buffer).setUint16(0, protocol);
  out.set(payload, 20);
  return out;
}

/** BSD NULL (host order, `littleEndian`) or LOOP (network order) header + payload. */
export function loopback(family: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, family, littleEndian);
  out.set(payload, 4);
  return out;
}

/** Splits an IPv4 payload (transport header + data) into fragments of `chunk` bytes (multiple of 8). */
export function ipv4Fragments(source: string, destination: string, payload: Uint8Array, chunk: number, identification: number, protocol = 17): Uint8Array[] {
  const fragments: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const part = payload.subarray(offset, Math.min(payload.length, offset + chunk));
    fragments.push(
      ipv4(source, destination, part, { protocol, identification, fragmentOffsetBytes: offset, moreFragments: offset + chunk < payload.length }),
    );
  }
  return fragments;
}

/** Splits an IPv6 payload into fragments with fragment headers. */
export function ipv6Fragments(source: string, destination: string, payload: Uint8Array, chunk: number, identification: number, nextHeader = 17): Uint8Array[] {
  const fragments: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const part = payload.subarray(offset, Math.min(payload.length, offset + chunk));
    fragments.push(ipv6(source, destination, part, nextHeader, [{ type: 44, body: ipv6FragmentBody(offset, offset + chunk < payload.length, identification) }]));
  }
  return fragments;
}

/** An Ethernet/IPv4/UDP frame. */
export function udpFrame(source: string, sourcePort: number, destination: string, destinationPort: number, payload: Uint8Array): Uint8Array {
  return ethernet(0x0800, ipv4(source, destination, udp(sourcePort, destinationPort, payload)));
}
