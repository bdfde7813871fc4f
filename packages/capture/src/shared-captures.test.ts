import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesDirectory, sharedCapturesSkipReason } from "@tickscope-test/support";
import { inspectCaptures } from "./inspect-captures.js";
import { readCapture, type PcapEngine } from "./read-capture.js";
import {
  conversationExpectation,
  fixturesDirectory,
  matchesTsharkSize,
  parseTsharkConversations,
  toTsharkEndpoint,
} from "./test-support/tshark-conversations.js";

/** capinfos of every shared capture, recorded with capinfos 4.0.17 (our own expectation file). */
const capinfos = (JSON.parse(readFileSync(join(fixturesDirectory, "capinfos.json"), "utf8")) as { captures: Record<string, { packets: number; dataBytes: number; first: string; last: string }> }).captures;
const captures = Object.keys(capinfos);

/** capinfos prints epoch seconds with 6 or 9 fraction digits. */
function epochTextToMicroseconds(text: string): number {
  const [seconds, fraction = ""] = text.split(".");
  return Number(seconds) * 1e6 + Number(fraction) / 10 ** (fraction.length - 6);
}

/** Captures whose capinfos times we do not compare, and why. */
const timeExceptions: Record<string, string> = {
  "ppp_pcapng-example.pcapng": "interface 1 timestamps near 2^64 µs: capinfos reports wrapped values",
  "ndpi_fuzz-2021-10-13.pcap": "invalid fraction 1882137472 ns (> 1e9): capinfos prints the digits after the dot, we add 1.882137472 s",
};

/** Captures whose capinfos data size we do not compare, what we count instead, and why. */
const bytesExceptions: Record<string, { bytes: number; why: string }> = {
  "ndpi_fuzz-2021-10-13.pcap": { bytes: 197, why: "its one record declares 524501 wire bytes (E_BAD_WIRE_LENGTH) in a 239-byte file: capinfos sums that, we count the 197 captured" },
};

describe.skipIf(!hasSharedCaptures)(`shared public captures (${hasSharedCaptures ? sharedCapturesDirectory : sharedCapturesSkipReason})`, () => {
  for (const capture of captures) {
    const engines: PcapEngine[] = capture.endsWith(".pcapng") ? ["pcap-parser"] : ["pcap-parser", "builtin"];
    for (const engine of engines) {
      it(`${capture} (${engine}): packets, data bytes and first/last time equal capinfos`, async () => {
        let delivered = 0;
        const summary = await readCapture(sharedCapturePath(capture), { onPacket: () => void delivered++, pcapEngine: engine });
        const expected = capinfos[capture];
        expect(summary.packets).toBe(expected.packets);
        if (bytesExceptions[capture] === undefined) expect(summary.bytes).toBe(expected.dataBytes);
        else expect(summary.bytes).toBe(bytesExceptions[capture].bytes);
        expect(delivered).toBe(summary.udpPackets + summary.tcpPackets);
        if (timeExceptions[capture] === undefined) {
          expect(Math.abs(summary.firstUs! - epochTextToMicroseconds(expected.first))).toBeLessThan(1);
          expect(Math.abs(summary.lastUs! - epochTextToMicroseconds(expected.last))).toBeLessThan(1);
        }
      });
    }

    it(`${capture}: UDP conversations equal tshark -z conv,udp (frames and bytes per direction)`, async () => {
      const expectation = conversationExpectation(sharedCapturesDirectory, capture);
      expect(expectation, `no conv-udp expectation for ${capture}`).toBeDefined();
      const rows = parseTsharkConversations(expectation!);
      const result = await inspectCaptures([sharedCapturePath(capture)]);
      const ours = result.flows.filter((flow) => flow.transport === "udp");
      // tshark keys some conversations by dissector-created conversation ids (e.g. RTP
      // set up by SCCP in ndpi_skinny), splitting one 5-tuple pair into two rows;
      // sum rows per unordered endpoint pair and compare per sending endpoint.
      const expected = new Map<string, { frames: number; bytes: { value: number; unit: string }[] }>();
      const add = (from: string, to: string, frames: number, bytes: { value: number; unit: string }) => {
        const key = `${from} > ${to}`;
        const entry = expected.get(key) ?? { frames: 0, bytes: [] };
        entry.frames += frames;
        if (frames > 0) entry.bytes.push(bytes);
        expected.set(key, entry);
      };
      for (const row of rows) {
        add(row.a, row.b, row.aToBFrames, row.aToBBytes);
        add(row.b, row.a, row.bToAFrames, row.bToABytes);
      }
      const actual = new Map<string, { frames: number; bytes: number }>();
      for (const flow of ours) {
        const a = toTsharkEndpoint(flow.a);
        const b = toTsharkEndpoint(flow.b);
        actual.set(`${a} > ${b}`, { frames: flow.aToB.packets, bytes: flow.aToB.bytes });
        actual.set(`${b} > ${a}`, { frames: flow.bToA.packets, bytes: flow.bToA.bytes });
      }
      const expectedFrames = Object.fromEntries([...expected].filter(([, value]) => value.frames > 0).map(([key, value]) => [key, value.frames]));
      const actualFrames = Object.fromEntries([...actual].filter(([, value]) => value.frames > 0).map(([key, value]) => [key, value.frames]));
      expect(actualFrames).toEqual(expectedFrames);
      for (const [key, value] of expected) {
        if (value.bytes.length !== 1) continue; // split rows: frames compared above
        expect(matchesTsharkSize(actual.get(key)!.bytes, value.bytes[0]), `${capture} ${key}: ${actual.get(key)!.bytes} vs ${value.bytes[0].value} ${value.bytes[0].unit}`).toBe(true);
      }
    });

    it(`${capture}: exact frames and bytes per UDP direction equal tshark's per-frame fields`, async () => {
      // Our own expectation file: tshark -Y "udp && !icmp" -T fields ... frame.len, summed per direction
      // (exact bytes; the conv table prints kB for large values).
      const fixture = JSON.parse(readFileSync(join(fixturesDirectory, `${capture}.udp-directions.json`), "utf8")) as { directions: Record<string, [number, number]> };
      const result = await inspectCaptures([sharedCapturePath(capture)]);
      const actual: Record<string, [number, number]> = {};
      for (const flow of result.flows.filter((entry) => entry.transport === "udp")) {
        const a = toTsharkEndpoint(flow.a);
        const b = toTsharkEndpoint(flow.b);
        if (flow.aToB.packets > 0) actual[`${a} > ${b}`] = [flow.aToB.packets, flow.aToB.bytes];
        if (flow.bToA.packets > 0) actual[`${b} > ${a}`] = [flow.bToA.packets, flow.bToA.bytes];
      }
      expect(actual).toEqual(fixture.directions);
    });
  }
});
