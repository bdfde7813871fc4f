import { describe, expect, it } from "vitest";
import { AddressFormatter, formatIpv6 } from "./ip-address.js";

/** Dotted-quad text computed the plain way, to check the cache against. */
function dotted(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
}

describe("AddressFormatter", () => {
  it("gives the dotted-quad text of every IPv4 address, also above 2^31, at 0 and across slot collisions", () => {
    const formatter = new AddressFormatter();
    // 20,000 addresses over 4,096 slots: most slots are replaced many times; then the same again in reverse
    const addresses = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xc0a80001, 0x0a000002];
    for (let index = 0; index < 20_000; index++) addresses.push((Math.imul(index, 2654435761) ^ (index << 7)) >>> 0);
    for (const address of addresses) expect(formatter.ipv4Text(address)).toBe(dotted(address));
    for (const address of [...addresses].reverse()) expect(formatter.ipv4Text(address)).toBe(dotted(address));
    expect(formatter.ipv4Text(0)).toBe("0.0.0.0");
  });

  it("hands out the same string object while an address stays cached (the flow table compares by identity first)", () => {
    const formatter = new AddressFormatter();
    const server = formatter.ipv4Text(0xcb00710a);
    const client = formatter.ipv4Text(0x0a000002);
    for (let round = 0; round < 3; round++) {
      expect(formatter.ipv4Text(0xcb00710a)).toBe(server);
      expect(formatter.ipv4Text(0x0a000002)).toBe(client);
    }
    expect(server).toBe("203.0.113.10");
  });

  it("formats IPv6 addresses per RFC 5952 and caches them", () => {
    const formatter = new AddressFormatter();
    const bytes = new Uint8Array(16);
    bytes[0] = 0x20;
    bytes[1] = 0x01;
    bytes[2] = 0x0d;
    bytes[3] = 0xb8;
    bytes[15] = 1;
    expect(formatter.ipv6Text(bytes, 0)).toBe("2001:db8::1");
    expect(formatter.ipv6Text(bytes, 0)).toBe("2001:db8::1");
    expect(formatIpv6(new Uint8Array(16))).toBe("::");
  });
});
