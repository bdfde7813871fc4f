import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ProtocolDefinition } from "./definition-schema.js";
import { compileTrafficMatch, fixedFieldLocations } from "./traffic-match.js";
import { formatProtocolSummary, summarizeProtocol } from "./summarize.js";
import { validateProtocolDefinition } from "./validate.js";

const examples = fileURLToPath(new URL("../../../../examples/protocols/", import.meta.url));
const loadExample = (name: string): ProtocolDefinition => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8")) as ProtocolDefinition;

/** An RTP header: version 2, payload type, sequence, timestamp, SSRC. */
function rtp(payloadType: number, { version = 2, length = 172 } = {}): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes[0] = version << 6;
  bytes[1] = payloadType;
  bytes[3] = 1;
  bytes[11] = 7;
  return bytes;
}

const base: ProtocolDefinition = {
  name: "toy",
  byteOrder: "big",
  header: [
    { name: "magic", type: "u16" },
    { name: "flags", type: "uint", bits: 3 },
    { name: "kind", type: "uint", bits: 5 },
    { name: "signedValue", type: "i8" },
    { name: "wide", type: "u64" },
    { name: "littleValue", type: "u16", byteOrder: "little" },
  ],
  body: { repeat: "once", select: { message: "m" } },
  messages: [{ name: "m", fields: [{ name: "rest", type: "bytes", length: "rest" }] }],
};

function withMatch(match: ProtocolDefinition["match"]): ProtocolDefinition {
  return { ...base, match };
}

describe("compileTrafficMatch", () => {
  it("accepts everything without a match section", () => {
    const match = compileTrafficMatch(base);
    expect(match.active).toBe(false);
    expect(match.acceptAfter).toBe(1);
    expect(match.matchesDatagram(new Uint8Array(0))).toBe(true);
    expect(match.isServerPort(7777)).toBe(false);
    expect(match.isExcludedPort(53)).toBe(false);
  });

  it("finds fields at fixed bit offsets: header, first frame header, selector prefix, the only message", () => {
    expect(fixedFieldLocations(loadExample("rtp")).slice(0, 6).map((location) => [location.name, location.bitOffset, location.bits])).toEqual([
      ["version", 0, 2],
      ["padding", 2, 1],
      ["extension", 3, 1],
      ["csrcCount", 4, 4],
      ["marker", 8, 1],
      ["payloadType", 9, 7],
    ]);
    expect(fixedFieldLocations(loadExample("arena")).map((location) => location.name)).toEqual(["protocolId", "sequence", "ack", "ackBits", "sendTimeUs", "messageType", "length"]);
    // netcode: the sequence has a variable byte count and a transform hides the body
    expect(fixedFieldLocations(loadExample("netcode")).map((location) => location.name)).toEqual(["sequenceBytes", "packetType"]);
    // firefall: the body switches on the socket id
    expect(fixedFieldLocations(loadExample("firefall")).map((location) => location.name)).toEqual(["socketId"]);
  });

  it("matches RTP as Wireshark's heuristic does: version 2, not RTCP, a whole fixed header", () => {
    const match = compileTrafficMatch(loadExample("rtp"));
    expect(match.active).toBe(true);
    expect(match.acceptAfter).toBe(2);
    expect(match.matchesDatagram(rtp(8))).toBe(true);
    expect(match.matchesDatagram(rtp(0x80 | 96))).toBe(true); // marker bit set, dynamic payload type
    expect(match.matchesDatagram(rtp(63))).toBe(true);
    expect(match.matchesDatagram(rtp(0x80 | 72))).toBe(false); // RTCP sender report (200)
    expect(match.matchesDatagram(rtp(0x80 | 79))).toBe(false); // RTCP XR (207)
    expect(match.matchesDatagram(rtp(8, { version: 0 }))).toBe(false); // STUN / DTLS
    expect(match.matchesDatagram(rtp(8, { version: 1 }))).toBe(false); // "SIP/2.0" text
    expect(match.matchesDatagram(rtp(8, { length: 11 }))).toBe(false);
    expect(match.matchesDatagram(new TextEncoder().encode("INVITE sip:alice@example.com SIP/2.0\r\n"))).toBe(false);
    expect(match.isExcludedPort(53)).toBe(true);
    expect(match.isExcludedPort(5353)).toBe(true);
    expect(match.isExcludedPort(2006)).toBe(false);
  });

  it("matches firefall handshakes by tag and packets by a length that fits", () => {
    const match = compileTrafficMatch(loadExample("firefall"));
    const handshake = Uint8Array.from([0, 0, 0, 0, ...new TextEncoder().encode("POKE"), 0, 4]);
    expect(match.matchesFlow(handshake)).toBe(true);
    handshake[4] = 0x58; // "XOKE"
    expect(match.matchesFlow(handshake)).toBe(false);
    // socket id 0x12345678, channel 3, length 7 (header included), sequence, 3 bytes
    const packet = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0xc0, 0x07, 0, 1, 9, 9, 9]);
    expect(match.matchesFlow(packet)).toBe(true);
    packet[5] = 0x08; // length 8 ends past the datagram
    expect(match.matchesFlow(packet)).toBe(false);
    packet[5] = 0x02; // shorter than a header and a type byte
    expect(match.matchesFlow(packet)).toBe(false);
    // a DNS query: id, flags 0x0100, one question -> "length" 1
    expect(match.matchesFlow(Uint8Array.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))).toBe(false);
    expect(match.isExcludedPort(53)).toBe(true);
  });

  it("matches netcode by prefix byte, version string and protocol id", () => {
    const match = compileTrafficMatch(loadExample("netcode"));
    const request = new Uint8Array(1078);
    request.set(new TextEncoder().encode("NETCODE 1.02\0"), 1);
    request.set([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11], 14);
    expect(match.matchesFlow(request)).toBe(true);
    request[14] = 0x89; // another game's protocol id
    expect(match.matchesFlow(request)).toBe(false);
    const keepAlive = new Uint8Array(30);
    keepAlive[0] = (1 << 4) | 4; // one sequence byte, keep-alive
    expect(match.matchesFlow(keepAlive)).toBe(true);
    keepAlive[0] = (9 << 4) | 4; // nine sequence bytes
    expect(match.matchesFlow(keepAlive)).toBe(false);
    keepAlive[0] = (1 << 4) | 7; // packet type 7
    expect(match.matchesFlow(keepAlive)).toBe(false);
    // flow conditions only: every datagram meets the (empty) datagram conditions
    expect(match.matchesDatagram(keepAlive)).toBe(true);
  });

  it("matches arena by its protocol id", () => {
    const match = compileTrafficMatch(loadExample("arena"));
    const datagram = new Uint8Array(24);
    datagram.set([0x41, 0x52, 0x4d, 0x41]);
    expect(match.matchesFlow(datagram)).toBe(true);
    datagram[0] = 0x42;
    expect(match.matchesFlow(datagram)).toBe(false);
  });

  it("reads bit fields, signed, little-endian and 64-bit values, masks and port ranges", () => {
    const match = compileTrafficMatch(
      withMatch({
        ports: [7777, { from: 27015, to: 27020 }],
        datagram: [
          { field: "magic", equals: "0xBEEF" },
          { field: "flags", in: [1, 5] },
          { field: "kind", min: 2, max: 30 },
          { field: "signedValue", min: -5, max: -1 },
          { field: "wide", equals: "0xFFFFFFFF00000001" },
          { field: "littleValue", equals: 0x0102 },
          { offset: 0, bytes: 1, mask: "0xF0", equals: 0xb0 },
          { offset: 15, bytes: 1, notEquals: 0, when: { field: "kind", equals: 31 } },
        ],
      }),
    );
    const datagram = Uint8Array.from([0xbe, 0xef, (5 << 5) | 3, 0xfe, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x02, 0x01, 0, 0]);
    expect(match.matchesDatagram(datagram)).toBe(true);
    expect(match.isServerPort(7777)).toBe(true);
    expect(match.isServerPort(27018)).toBe(true);
    expect(match.isServerPort(27021)).toBe(false);
    expect(match.hasServerPorts).toBe(true);
    const variants: [number, number][] = [
      [0, 0xbf], // magic
      [2, (2 << 5) | 3], // flags 2
      [2, (5 << 5) | 1], // kind 1 < min
      [3, 0x02], // signed 2 > max
      [4, 0x7f], // wide
      [12, 0x01], // little-endian 0x0101
    ];
    for (const [index, value] of variants) {
      const copy = datagram.slice();
      copy[index] = value;
      expect(match.matchesDatagram(copy), `byte ${index} = ${value}`).toBe(false);
    }
    // `when` holds (kind 31) and byte 15 is 0: no match; too short to read `when`: the condition does not apply
    const conditional = datagram.slice();
    conditional[2] = (5 << 5) | 30;
    expect(match.matchesDatagram(conditional)).toBe(true);
    expect(match.matchesDatagram(datagram.subarray(0, 12))).toBe(false); // littleValue cannot be read
  });

  const invalid: [string, ProtocolDefinition["match"], string][] = [
    ["an unknown field", { datagram: [{ field: "nope", equals: 1 }] }, '/match/datagram/0/field: "nope" is not a field at a fixed offset'],
    ["a field after a variable one", { datagram: [{ field: "rest", equals: 1 }] }, "/match/datagram/0/field"],
    ["field and offset together", { datagram: [{ field: "magic", offset: 0, bytes: 2, equals: 1 }] }, "/match/datagram/0: give either field or offset"],
    ["no test", { datagram: [{ field: "magic" }] }, "/match/datagram/0: a condition needs a test"],
    ["an operand without bytes", { datagram: [{ offset: 3, equals: 1 }] }, "/match/datagram/0: a condition needs field, or offset and bytes"],
    ["a value wider than the field", { datagram: [{ field: "flags", equals: 8 }] }, "/match/datagram/0/equals: 8 does not fit in 3 unsigned bits"],
    ["min above max", { datagram: [{ field: "kind", min: 9, max: 3 }] }, "/match/datagram/0/min: min 9 is above max 3"],
    ["min on a 64-bit value", { datagram: [{ field: "wide", min: 1 }] }, "/match/datagram/0: min, max and fitsFrom need a value of at most 53 bits"],
    ["ascii of the wrong length", { datagram: [{ offset: 0, bytes: 4, ascii: ["ABC"] }] }, '/match/datagram/0/ascii/0: "ABC" must be 4 printable ASCII characters'],
    ["ascii on a field", { datagram: [{ field: "magic", ascii: ["AB"] }] }, "/match/datagram/0/ascii: ascii needs a raw operand"],
    ["equals and in", { datagram: [{ field: "magic", equals: 1, in: [2] }] }, "/match/datagram/0/in: give equals or in, not both"],
    ["an unsafe number", { datagram: [{ field: "wide", equals: 2 ** 60 }] }, "/match/datagram/0/equals: 1152921504606847000 is not a safe integer"],
    ["a bad when", { datagram: [{ field: "magic", equals: 1, when: { field: "nope", equals: 1 } }] }, '/match/datagram/0/when/field: "nope"'],
    ["a bad flow condition", { flow: [{ field: "nope", equals: 1 }] }, '/match/flow/0/field: "nope"'],
    ["a reversed port range", { ports: [{ from: 9000, to: 8000 }] }, "/match/ports/0: port range from 9000 is above to 8000"],
    ["minLength above maxLength", { minLength: 30, maxLength: 20 }, "/match/minLength: minLength 30 is above maxLength 20"],
    ["a mask on a signed field", { datagram: [{ field: "signedValue", mask: 1, equals: 1 }] }, "/match/datagram/0/mask: mask needs an unsigned field"],
  ];
  for (const [what, match, message] of invalid) {
    it(`rejects ${what} with the JSON path`, () => {
      expect(() => validateProtocolDefinition(withMatch(match))).toThrow(message);
    });
  }

  it("rejects schema problems of a match section with the JSON path", () => {
    expect(() => validateProtocolDefinition(withMatch({ acceptAfter: 0 }))).toThrow("/match/acceptAfter");
    expect(() => validateProtocolDefinition(withMatch({ ports: [70000] }))).toThrow("/match/ports/0");
    expect(() => validateProtocolDefinition(withMatch({ datagram: [{ field: "magic", equals: "0xZZ" }] }))).toThrow("/match/datagram/0/equals");
    expect(() => validateProtocolDefinition(withMatch({ datagram: [{ field: "magic", equals: 1, extra: true } as never] }))).toThrow("/match/datagram/0");
  });

  it("protocol check prints the match section in words", () => {
    expect(formatProtocolSummary(summarizeProtocol(loadExample("arena")))).toContain(
      "  match: never ports 0-1023, 1900, 5353, 5355; flow: protocolId = 1095912769; flow accepted after 1 matching datagram(s)",
    );
    expect(summarizeProtocol(loadExample("firefall")).match).toContain('flow: bytes 4..7 is "POKE"|"HEHE"|"KISS"|"HUGG" when socketId = 0; flow: bytes 4..5 & 0x7ff ≥ 3 (fits from byte 4) when socketId ≠ 0');
    expect(summarizeProtocol(loadExample("rtp")).match).toContain("payloadType not in [72, 73, 74, 75, 76, 77, 78, 79]; flow accepted after 2 matching datagram(s)");
    expect(summarizeProtocol(withMatch({ ports: [7777, { from: 1, to: 2 }], maxLength: 9, datagram: [{ field: "magic", in: [1, 2], notEquals: 3 }] })).match).toBe(
      "server ports 7777, 1-2; ≤ 9 bytes; magic ≠ 3 in [1, 2]; flow accepted after 1 matching datagram(s)",
    );
    expect(formatProtocolSummary(summarizeProtocol(base))).toContain("  match: none: every UDP datagram is decoded");
  });

  it("validates every example definition's match section", () => {
    for (const name of ["rtp", "firefall", "netcode", "arena"]) expect(validateProtocolDefinition(loadExample(name)).match).toBeDefined();
  });
});
