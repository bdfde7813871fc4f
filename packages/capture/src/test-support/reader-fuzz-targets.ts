/**
 * Fuzz targets for every reader of tickscope: classic pcap (builtin and
 * pcap-parser engines), PCAPNG, gzip, server logs (NDJSON, CSV) and key
 * files. Seeds are small generated inputs that use each format's features.
 */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { parseKeyFile } from "@tickscope/core/protocol";
import { readCapture } from "../read-capture.js";
import { readServerLog, type ServerLogMapping } from "../server-log.js";
import { writePcap, writePcapng, type FrameRecord } from "./capture-writer.js";
import { ethernet, ipv4, ipv4Fragments, ipv6, linuxSll, tcp, udp, udpFrame } from "./packet-builder.js";
import type { FuzzTarget } from "./fuzz-harness.js";

const T0 = 1_700_000_000_000_000;
const text = (value: string) => new TextEncoder().encode(value);
const ignore = (): void => {};

/** Frames using the decoders' features: IPv4/IPv6 UDP, fragments, TCP, VLAN, ARP. */
function seedFrames(): FrameRecord[] {
  const fragments = ipv4Fragments("10.0.0.2", "10.0.0.1", udp(50000, 7777, new Uint8Array(40).fill(7)), 16, 77);
  return [
    { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, text("hello")) },
    { tUs: T0 + 10, data: ethernet(0x86dd, ipv6("2001:db8::2", "2001:db8::1", udp(50001, 7777, text("six")))) },
    ...fragments.map((fragment, index) => ({ tUs: T0 + 20 + index, data: ethernet(0x0800, fragment) })),
    { tUs: T0 + 40, data: ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.3", tcp(40000, 443, text("tls")), { protocol: 6 })) },
    { tUs: T0 + 50, data: ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(7777, 50000, text("vlan"))), [0x8100]) },
    { tUs: T0 + 60, data: ethernet(0x0806, new Uint8Array(28)) },
  ];
}

/** Classic pcap seeds: µs/ns, both byte orders, an old 2.2 file, Linux SLL. */
export function pcapSeeds(): Uint8Array[] {
  const frames = seedFrames();
  return [
    writePcap(frames),
    writePcap(frames, { nanoseconds: true, littleEndian: false }),
    writePcap(frames.slice(0, 3), { minorVersion: 2, snapshotLength: 64 }),
    writePcap([{ tUs: T0, data: linuxSll(0x0800, ipv4("10.0.0.2", "10.0.0.1", udp(1, 2, text("sll")))) }], { linkType: 113 }),
  ];
}

/** PCAPNG seeds: two sections (one big-endian), interfaces with tsresol/tsoffset, EPB, SPB, PB and skipped blocks. */
export function pcapngSeeds(): Uint8Array[] {
  const frames = seedFrames();
  return [
    writePcapng([
      {
        interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 1, tsresol: 0x80 | 20, tsoffsetSeconds: 5 }],
        items: [
          ...frames.map((frame, index) => ({ kind: "epb" as const, frame: { ...frame, interfaceId: index % 2 } })),
          { kind: "spb" as const, data: frames[0].data },
          { kind: "pb" as const, frame: frames[1] },
          { kind: "raw" as const, type: 4, body: new Uint8Array(8) },
          { kind: "raw" as const, type: 0x00000bad, body: new Uint8Array(12).fill(1) },
        ],
      },
      { littleEndian: false, interfaces: [{ linkType: 1, snapshotLength: 60 }], items: frames.slice(0, 3).map((frame) => ({ kind: "epb" as const, frame })) },
    ]),
    writePcapng([{ interfaces: [{ linkType: 1 }], items: frames.slice(0, 2).map((frame) => ({ kind: "epb" as const, frame })) }]),
  ];
}

/** gzip seeds: compressed captures, one of two members. */
export function gzipSeeds(): Uint8Array[] {
  const [pcap] = pcapSeeds();
  const [pcapng] = pcapngSeeds();
  const half = Math.floor(pcap.length / 2);
  const twoMembers = new Uint8Array([...gzipSync(pcap.subarray(0, half)), ...gzipSync(pcap.subarray(half))]);
  return [gzipSync(pcap), gzipSync(pcapng, { level: 1 }), twoMembers];
}

const NDJSON_MAPPINGS: ServerLogMapping[] = [
  { format: "ndjson", timeField: "ts", timeUnit: "ms", typeField: "event", sessionField: "session", playerField: "player", regionField: "region", labelFields: ["map"], clockOffsetUs: -500 },
  { timeField: "time", timeUnit: "iso", typeField: "event", valueFields: ["rttMs", "pauseMs"] },
  { format: "ndjson", timeField: "tUs", timeUnit: "us" },
];

const CSV_MAPPINGS: ServerLogMapping[] = [
  { format: "csv", timeField: "time", timeUnit: "s", typeField: "kind", playerField: "player" },
  { format: "csv", timeField: "time", timeUnit: "ns", delimiter: ";", labelFields: ["note"] },
  { timeField: "time", timeUnit: "iso", typeField: "kind", valueFields: ["rtt"] },
];

/** Server-log seeds: NDJSON lines of several shapes. */
export function ndjsonSeeds(): Uint8Array[] {
  return [
    text(
      [
        '{"ts": 1700000000000, "event": "rtt", "session": "s1", "player": "p7", "region": "eu-west", "rttMs": 42.5, "map": "dust"}',
        '{"ts": "1700000000001.5", "event": "gc_pause", "pauseMs": "12", "nested": {"a": [1, 2]}}',
        '{"time": "2024-01-01T00:00:00.123456Z", "event": "tick", "tUs": 1700000000000000, "rttMs": 3}',
        "",
        '{"tUs": 1700000000000100, "type": "tick", "tick": 5}',
      ].join("\n") + "\n",
    ),
    text('{"ts":1,"event":"a"}\r\n{"ts":2,"event":"b"}\r\n'),
  ];
}

/** Server-log seeds: CSV with a header row, quoted fields, another delimiter. */
export function csvSeeds(): Uint8Array[] {
  return [
    text('time,kind,player,rtt,note\n1.5,rtt,p1,30,"a, quoted"\n2.0,rtt,p2,abc,x\n"2024-01-01T00:00:01Z",tick,p3,1,"multi\nline"\n'),
    text("\ufefftime;kind;note\n1700000000000000000;tick;x\n1700000000000001000;stall;y\n"),
  ];
}

/** Key-file seeds. */
export function keyFileSeeds(): Uint8Array[] {
  return [
    text("# session keys\n* both 00112233445566778899aabbccddeeff\nudp:10.0.0.2:50000-10.0.0.1:7777 clientToServer 0011\r\nudp:x serverToClient ff # comment\n\n"),
  ];
}

const CAPTURE_TOKENS = [Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a), Uint8Array.of(0x4d, 0x3c, 0x2b, 0x1a), Uint8Array.of(0x1f, 0x8b, 0x08, 0x00), new Uint8Array(16).fill(0xff)];
const JSON_TOKENS = ["\n", '"', "{", "}", "[", "]", ",", ":", "null", "1e309", "-0", "\\u0000", "\\ud800", "9".repeat(400), '"__proto__"', '{"ts":', "\r\n", "\u2028"].map(text);
const CSV_TOKENS = ["\n", '"', ",", ";", '""', "\r", "\ufeff", "time", "\\", " ", "\r\n", '"\n"'].map(text);
const KEY_TOKENS = ["\n", "#", " ", "\t", "*", "both", "clientToServer", "ff", "0".repeat(300), "\r\n", "zz", "\u0000"].map(text);

/** Offsets of the 32-bit header fields of a classic pcap file (global header and every record header). */
export function pcapFields(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = view.getUint32(0, false) === 0xd4c3b2a1 || view.getUint32(0, false) === 0x4d3cb2a1;
  const fields = [0, 4, 16, 20];
  for (let position = 24; position + 16 <= bytes.length; position += 16 + view.getUint32(position + 8, littleEndian)) {
    fields.push(position, position + 4, position + 8, position + 12);
  }
  return fields;
}

/** Offsets of the 32-bit fields of every PCAPNG block: type, length, trailer, and the body's header words (interface, timestamps, lengths, options). */
export function pcapngFields(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  let littleEndian = true;
  for (let position = 0; position + 12 <= bytes.length; ) {
    if (view.getUint32(position, true) === 0x0a0d0d0a) littleEndian = view.getUint32(position + 8, true) === 0x1a2b3c4d;
    const length = view.getUint32(position + 4, littleEndian);
    if (length < 12 || position + length > bytes.length) break;
    fields.push(position, position + 4, position + length - 4);
    for (let word = position + 8; word < Math.min(position + 32, position + length - 4); word += 4) fields.push(word);
    position += length;
  }
  return fields;
}

async function readCaptureFuzz(input: Uint8Array, engine: "builtin" | "pcap-parser", variant: number): Promise<void> {
  // every 8th input arrives as a stream in small pieces (the chunk-boundary paths)
  if (variant % 8 === 7) {
    const size = 1 + (variant % 97);
    const pieces = Array.from({ length: Math.ceil(input.length / size) }, (_, index) => Buffer.from(input.subarray(index * size, index * size + size)));
    await readCapture(Readable.from(pieces), { onPacket: ignore, pcapEngine: engine });
    return;
  }
  await readCapture(input, { onPacket: ignore, pcapEngine: engine });
}

/** Every reader target. */
export function readerFuzzTargets(): FuzzTarget[] {
  const pcap = pcapSeeds();
  const pcapng = pcapngSeeds();
  const pcapFieldOffsets = pcap.map(pcapFields);
  return [
    { name: "pcap-builtin", seeds: pcap, fields: pcapFieldOffsets, tokens: CAPTURE_TOKENS, run: (input, variant) => readCaptureFuzz(input, "builtin", variant) },
    { name: "pcap-parser", seeds: pcap, fields: pcapFieldOffsets, tokens: CAPTURE_TOKENS, run: (input, variant) => readCaptureFuzz(input, "pcap-parser", variant) },
    { name: "pcapng", seeds: pcapng, fields: pcapng.map(pcapngFields), tokens: CAPTURE_TOKENS, run: (input, variant) => readCaptureFuzz(input, "pcap-parser", variant) },
    { name: "gzip", seeds: gzipSeeds(), tokens: CAPTURE_TOKENS, run: (input, variant) => readCaptureFuzz(input, variant % 2 === 0 ? "builtin" : "pcap-parser", variant) },
    {
      name: "server-log-ndjson",
      seeds: ndjsonSeeds(),
      tokens: JSON_TOKENS,
      run: (input, variant) => readServerLog(input, NDJSON_MAPPINGS[variant % NDJSON_MAPPINGS.length], { onEvent: ignore }),
    },
    {
      name: "server-log-csv",
      seeds: csvSeeds(),
      tokens: CSV_TOKENS,
      run: (input, variant) => readServerLog(input, CSV_MAPPINGS[variant % CSV_MAPPINGS.length], { onEvent: ignore }),
    },
    { name: "key-file", seeds: keyFileSeeds(), tokens: KEY_TOKENS, run: (input) => parseKeyFile(new TextDecoder().decode(input)) },
  ];
}
