import { describe, expect, it } from "vitest";
import { AnomalyCounter } from "@tickscope/core";
import { PacketDecoder, type CapturedPacket } from "./packet-decoder.js";
import { formatIpv6 } from "./ip-address.js";
import {
  concat,
  ethernet,
  ipv4,
  ipv4Fragments,
  ipv6,
  ipv6Bytes,
  ipv6FragmentBody,
  ipv6Fragments,
  tcp,
  udp,
} from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;

function harness(options: ConstructorParameters<typeof PacketDecoder>[2] = {}) {
  const anomalies = new AnomalyCounter();
  const packets: (Omit<CapturedPacket, "payload"> & { payload: number[] })[] = [];
  const decoder = new PacketDecoder(anomalies, (packet) => packets.push({ ...packet, payload: [...packet.payload] }), options);
  let index = 0;
  const feed = (frame: Uint8Array, tUs = T0 + index, linkType = 1, wireLength = frame.length) => {
    decoder.decodeFrame(frame, new DataView(frame.buffer, frame.byteOffset, frame.byteLength), 0, frame.length, wireLength, linkType, 0, tUs, index++);
  };
  return { anomalies, packets, decoder, feed };
}

const bytes = (length: number, seed = 0) => Uint8Array.from({ length }, (_, index) => (index * 7 + seed) & 255);

describe("IPv4", () => {
  it("hands on an unfragmented UDP datagram with every packet field: UDP length inside the IP payload, cut by the snapshot length, and a datagram of 0 payload bytes", () => {
    const { packets, feed, anomalies } = harness();
    // UDP length 8 + 5 inside 8 + 9 IP payload bytes: the payload ends where UDP says
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", concat(udp(1000, 2000, bytes(9), 13)))), T0 + 5);
    // a 100-byte datagram cut to 60 captured bytes: the payload is what was captured
    const whole = ethernet(0x0800, ipv4("10.0.0.3", "10.0.0.4", udp(3000, 4000, bytes(100, 1))));
    feed(whole.subarray(0, 60), T0 + 6, 1, whole.length);
    feed(ethernet(0x0800, ipv4("10.0.0.5", "10.0.0.6", udp(5, 6, new Uint8Array(0)))), T0 + 7);
    expect(anomalies.total).toBe(0);
    expect(packets.map((packet) => [packet.index, packet.tUs, packet.transport, packet.sourceAddress, packet.sourcePort, packet.destinationAddress, packet.destinationPort])).toEqual([
      [0, T0 + 5, "udp", "10.0.0.1", 1000, "10.0.0.2", 2000],
      [1, T0 + 6, "udp", "10.0.0.3", 3000, "10.0.0.4", 4000],
      [2, T0 + 7, "udp", "10.0.0.5", 5, "10.0.0.6", 6],
    ]);
    expect(packets[0]).toMatchObject({ payload: [...bytes(5)], frameCount: 1, wireLength: 14 + 20 + 17, capturedLength: 14 + 20 + 17, lastFrameWireLength: 14 + 20 + 17, ipIdentification: expect.any(Number) });
    expect(packets[1]).toMatchObject({ payload: [...bytes(100, 1).subarray(0, 60 - 42)], frameCount: 1, wireLength: whole.length, capturedLength: 60, lastFrameWireLength: whole.length });
    expect(packets[2].payload).toEqual([]);
  });

  it("skips header options and trims Ethernet padding by the IP total length", () => {
    const { packets, feed, anomalies } = harness();
    const frame = concat(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(3)), { optionWords: 2 })), new Uint8Array(20));
    feed(frame);
    expect(anomalies.total).toBe(0);
    expect(packets[0].payload).toEqual([...bytes(3)]);
  });

  it("reassembles fragments in any order once, with summed and last-frame wire lengths", () => {
    const { packets, feed, anomalies, decoder } = harness();
    const data = bytes(3000);
    const fragments = ipv4Fragments("10.0.0.1", "10.0.0.2", udp(5000, 6000, data), 1480, 77).map((fragment) => ethernet(0x0800, fragment));
    feed(fragments[2]);
    feed(fragments[0]);
    feed(fragments[1]);
    decoder.finish();
    expect(anomalies.total).toBe(0);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ index: 2, frameCount: 3, sourcePort: 5000, wireLength: fragments.reduce((sum, frame) => sum + frame.length, 0), lastFrameWireLength: fragments[1].length });
    expect(packets[0].payload).toEqual([...data]);
    expect(decoder.counters.fragmentFrames).toBe(3);
  });

  it("counts overlapping fragments, ignores exact duplicates, and drops incomplete ones at the end", () => {
    const { packets, feed, anomalies, decoder } = harness();
    const payload = udp(1, 2, bytes(64));
    const first = ipv4("10.0.0.1", "10.0.0.2", payload.subarray(0, 32), { identification: 5, moreFragments: true });
    const overlapping = ipv4("10.0.0.1", "10.0.0.2", payload.subarray(16, 48), { identification: 5, moreFragments: true, fragmentOffsetBytes: 16 });
    const last = ipv4("10.0.0.1", "10.0.0.2", payload.subarray(32), { identification: 5, fragmentOffsetBytes: 32 });
    feed(ethernet(0x0800, first));
    feed(ethernet(0x0800, first));
    feed(ethernet(0x0800, overlapping));
    feed(ethernet(0x0800, last));
    expect(anomalies.toCounts()).toEqual({ E_OVERLAPPING_FRAGMENT: 1 });
    expect(packets).toHaveLength(1);
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", payload.subarray(0, 16), { identification: 6, moreFragments: true })));
    decoder.finish();
    expect(anomalies.toCounts()).toEqual({ E_INCOMPLETE_FRAGMENT: 1, E_OVERLAPPING_FRAGMENT: 1 });
  });

  it("bounds reassembly: timeouts and the pending-datagram limit count incomplete fragments", () => {
    const { feed, anomalies, decoder } = harness({ maxPendingDatagrams: 2, timeoutUs: 1_000_000 });
    const head = (identification: number) => ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(16)), { identification, moreFragments: true }));
    feed(head(1), T0);
    feed(head(2), T0 + 10);
    feed(head(3), T0 + 20); // evicts 1
    expect(anomalies.toCounts()).toEqual({ E_INCOMPLETE_FRAGMENT: 1 });
    feed(head(4), T0 + 5_000_000); // 2 and 3 time out
    expect(anomalies.count("E_INCOMPLETE_FRAGMENT")).toBe(3);
    decoder.finish();
    expect(anomalies.count("E_INCOMPLETE_FRAGMENT")).toBe(4);
    const { feed: feed2, anomalies: anomalies2 } = harness({ maxDatagramBytes: 100 });
    feed2(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", bytes(40), { identification: 9, fragmentOffsetBytes: 80 })));
    expect(anomalies2.toCounts()).toEqual({ E_BAD_IP_HEADER: 1 });
  });

  it("decodes a first fragment cut short in the frame as far as it goes, like tshark", () => {
    const { packets, feed, anomalies } = harness();
    const fragment = ipv4("10.0.0.1", "10.0.0.2", udp(53, 4000, bytes(100)).subarray(0, 60), { moreFragments: true, totalLengthOverride: 1500 });
    feed(ethernet(0x0800, fragment));
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", bytes(60), { fragmentOffsetBytes: 1480, totalLengthOverride: 1500 })));
    expect(packets).toHaveLength(1);
    expect(packets[0].payload).toHaveLength(52);
    expect(anomalies.toCounts()).toEqual({ E_INCOMPLETE_FRAGMENT: 2 });
  });

  it("counts bad IPv4 headers, bad UDP lengths and bad TCP headers", () => {
    const { packets, feed, anomalies } = harness();
    const good = ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(8)));
    const badVersion = good.slice();
    badVersion[0] = 0x55;
    const badIhl = good.slice();
    badIhl[0] = 0x44;
    feed(ethernet(0x0800, badVersion));
    feed(ethernet(0x0800, badIhl));
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(8)), { totalLengthOverride: 10 })));
    feed(ethernet(0x0800, bytes(10)));
    expect(anomalies.count("E_BAD_IP_HEADER")).toBe(4);
    expect(anomalies.count("E_TRUNCATED")).toBe(0);
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(8), 4))));
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(8), 100))));
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", bytes(4))));
    expect(anomalies.count("E_BAD_UDP_LENGTH")).toBe(3);
    expect(packets).toHaveLength(1); // the too-long UDP length is still delivered (as tshark does)
    const badTcp = tcp(1, 2, bytes(4));
    badTcp[12] = 0x20;
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", badTcp, { protocol: 6 })));
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", bytes(10), { protocol: 6 })));
    expect(anomalies.count("E_BAD_TCP_HEADER")).toBe(2);
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", tcp(1, 2, bytes(4), 3), { protocol: 6 })));
    expect(packets[1]).toMatchObject({ transport: "tcp", payload: [...bytes(4)] });
    feed(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", bytes(4), { protocol: 1 })));
    expect(anomalies.total).toBe(9);
  });

  it("does not count snaplen-cut headers as damage", () => {
    const { packets, feed, anomalies, decoder } = harness();
    const frame = ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, bytes(100))));
    for (const cut of [10, 20, 38, 40]) feed(frame.subarray(0, cut), T0, 1, frame.length);
    expect(anomalies.total).toBe(0);
    expect(packets).toHaveLength(0);
    expect(decoder.counters.headerTruncatedFrames).toBe(4);
    feed(frame.subarray(0, 10));
    expect(anomalies.toCounts()).toEqual({ E_TRUNCATED: 1 });
  });
});

describe("IPv6", () => {
  it("walks extension headers (hop-by-hop, routing, destination options, AH, atomic fragment)", () => {
    const { packets, feed, anomalies } = harness();
    const ah = { type: 51, body: new Uint8Array(10) };
    const packet = ipv6("2001:db8::1", "2001:db8::2", udp(1, 2, bytes(5)), 17, [
      { type: 0 },
      { type: 43 },
      { type: 60, body: new Uint8Array(14) },
      { type: 44, body: ipv6FragmentBody(0, false, 1) },
    ]);
    feed(ethernet(0x86dd, packet));
    expect(anomalies.total).toBe(0);
    expect(packets[0]).toMatchObject({ ipVersion: 6, sourceAddress: "2001:db8::1", destinationAddress: "2001:db8::2", payload: [...bytes(5)] });
    // AH: length in 4-byte units + 2
    const withAh = ipv6("2001:db8::1", "2001:db8::2", udp(1, 2, bytes(5)), 17, [ah]);
    const ahOffset = 40;
    withAh[ahOffset + 1] = 1; // (1 + 2) * 4 = 12 bytes... body is 10 + 2 = 12 bytes padded to 16: set the real length
    withAh[ahOffset + 1] = 2; // (2 + 2) * 4 = 16
    feed(ethernet(0x86dd, withAh));
    expect(packets[1].payload).toEqual([...bytes(5)]);
  });

  it("reassembles IPv6 fragments and counts incomplete and bad ones", () => {
    const { packets, feed, anomalies, decoder } = harness();
    const data = bytes(2000, 3);
    const fragments = ipv6Fragments("fd00::1", "fd00::2", udp(5060, 5062, data), 1232, 99).map((fragment) => ethernet(0x86dd, fragment));
    feed(fragments[1]);
    feed(fragments[0]);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ frameCount: 2, sourceAddress: "fd00::1", payload: [...data] });
    feed(fragments[0]);
    decoder.finish();
    expect(anomalies.toCounts()).toEqual({ E_INCOMPLETE_FRAGMENT: 1 });
    const truncated = ipv6("fd00::1", "fd00::2", udp(1, 2, bytes(4)));
    truncated[0] = 0x70;
    feed(ethernet(0x86dd, truncated));
    feed(ethernet(0x86dd, ipv6("fd00::1", "fd00::2", new Uint8Array(4), 17, [{ type: 0 }]).subarray(0, 44)));
    expect(anomalies.count("E_BAD_IP_HEADER")).toBe(2);
  });

  it("formats IPv6 addresses per RFC 5952", () => {
    expect(formatIpv6(ipv6Bytes("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(formatIpv6(ipv6Bytes("::1"))).toBe("::1");
    expect(formatIpv6(ipv6Bytes("fe80::"))).toBe("fe80::");
    expect(formatIpv6(ipv6Bytes("2001:db8:1:2:3:4:0:5"))).toBe("2001:db8:1:2:3:4:0:5");
  });
});
