import { describe, expect, it } from "vitest";
import type { MessageAnalyzer, PacketObservation } from "@tickscope/core";
import { runCapturePipeline } from "./capture-pipeline.js";
import { writePcapng } from "./test-support/capture-writer.js";
import { ethernet, ipv4, ipv6, udp } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;
const payload = new TextEncoder().encode("same datagram");

/** Records what each analyzer's `onPacket` saw (the observation object is reused: copy the fields). */
function recorder(seen: { tUs: number; ipIdentification?: number; interfaceId?: number }[]): MessageAnalyzer<null> {
  return {
    name: "recorder",
    onPacket: (packet: PacketObservation) => void seen.push({ tUs: packet.tUs, ipIdentification: packet.ipIdentification, interfaceId: packet.interfaceId }),
    onMessage: () => {},
    finish: () => null,
  };
}

describe("packet observations carry the IP identification and capture interface (to tell a frame captured twice from a resend)", () => {
  it("hands on the IPv4 identification, -1 for IPv6, and the pcapng interface of each datagram", async () => {
    const v4 = (identification: number) => ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.1", udp(50000, 7777, payload), { identification }));
    const v6 = ethernet(0x86dd, ipv6("fd00::2", "fd00::1", udp(50000, 7777, payload)));
    const capture = writePcapng([
      {
        interfaces: [{ linkType: 1 }, { linkType: 1 }],
        items: [
          { kind: "epb", frame: { tUs: T0, data: v4(0x1384), interfaceId: 0 } },
          { kind: "epb", frame: { tUs: T0 + 4, data: v4(0x1384), interfaceId: 1 } },
          { kind: "epb", frame: { tUs: T0 + 10, data: v6, interfaceId: 1 } },
        ],
      },
    ]);
    const seen: { tUs: number; ipIdentification?: number; interfaceId?: number }[] = [];
    await runCapturePipeline({ sources: [capture], analyzers: [recorder(seen)] });
    expect(seen).toEqual([
      { tUs: T0, ipIdentification: 0x1384, interfaceId: 0 },
      { tUs: T0 + 4, ipIdentification: 0x1384, interfaceId: 1 },
      { tUs: T0 + 10, ipIdentification: -1, interfaceId: 1 },
    ]);
  });
});
