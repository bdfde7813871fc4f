import { invalidOption } from "./errors.js";

/** A parsed UDP endpoint ready for framing: address bytes and a stable MAC address. */
export interface UdpEndpoint {
  /** Address text (IPv4 dotted quad or IPv6). */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
  /** IP version. */
  readonly ipVersion: 4 | 6;
  /** 4 or 16 address bytes. */
  readonly addressBytes: Uint8Array;
  /** Locally administered MAC address derived from the IP address. */
  readonly macBytes: Uint8Array;
  /** Sum of the address's 16-bit words (for the UDP pseudo-header checksum). */
  readonly addressWordSum: number;
}

function parseIpv4(address: string): Uint8Array | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index++) {
    if (!/^[0-9]{1,3}$/.test(parts[index])) return undefined;
    const value = Number(parts[index]);
    if (value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

function parseIpv6(address: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(address) || address.split("::").length > 2) return undefined;
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...headGroups, ...new Array<string>(tail === undefined ? 0 : missing).fill("0"), ...tailGroups];
  const bytes = new Uint8Array(16);
  for (let index = 0; index < 8; index++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[index])) return undefined;
    const value = parseInt(groups[index], 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  }
  return bytes;
}

/** Parses an IPv4 or IPv6 address and port into a {@link UdpEndpoint}; throws `E_INVALID_OPTION`. */
export function createUdpEndpoint(address: string, port: number): UdpEndpoint {
  if (!Number.isInteger(port) || port < 0 || port > 65535) invalidOption("port", `invalid UDP port ${port}`);
  const addressBytes = address.includes(":") ? parseIpv6(address) : parseIpv4(address);
  if (addressBytes === undefined) invalidOption("address", `invalid IP address ${JSON.stringify(address)}`);
  const macBytes = new Uint8Array(6);
  macBytes[0] = 0x02;
  const tailStart = addressBytes.length - 4;
  for (let index = 0; index < 4; index++) macBytes[2 + index] = addressBytes[tailStart + index];
  macBytes[1] = addressBytes.length === 16 ? 0x66 : 0x44;
  let addressWordSum = 0;
  for (let index = 0; index < addressBytes.length; index += 2) addressWordSum += (addressBytes[index] << 8) | addressBytes[index + 1];
  return { address, port, ipVersion: addressBytes.length === 16 ? 6 : 4, addressBytes, macBytes, addressWordSum };
}
