import { describe, expect, it } from "vitest";
import type { Packet } from "@tickscope/core";
import { FlowTable, isClientSide } from "./flow-table.js";

function packet(source: string, sourcePort: number, destination: string, destinationPort: number, tUs: number, wireLength = 100, transport: Packet["transport"] = "udp"): Packet & { lastFrameWireLength: number } {
  return {
    index: 0,
    tUs,
    interfaceId: 0,
    linkType: 1,
    ipVersion: source.includes(":") ? 6 : 4,
    transport,
    sourceAddress: source,
    sourcePort,
    destinationAddress: destination,
    destinationPort,
    wireLength,
    capturedLength: wireLength,
    frameCount: 1,
    payload: new Uint8Array(0),
    lastFrameWireLength: wireLength,
  };
}

describe("FlowTable", () => {
  it("counts both directions of a conversation with a = first sender, in order of first packet", () => {
    const table = new FlowTable({ serverPorts: [7777] });
    const first = table.observe(packet("10.0.0.1", 7777, "10.0.0.2", 50000, 10));
    expect(first).toMatchObject({ isNew: true, direction: "serverToClient" });
    expect(table.observe(packet("10.0.0.2", 50000, "10.0.0.1", 7777, 20, 60))).toMatchObject({ isNew: false, direction: "clientToServer" });
    table.observe(packet("fd00::1", 4000, "fd00::2", 5000, 5, 80));
    table.observe(packet("10.0.0.2", 50000, "10.0.0.1", 7777, 30, 60));
    table.observe(packet("10.0.0.2", 50000, "10.0.0.1", 7777, 40, 60, "tcp"));
    expect(table.size).toBe(3);
    expect(table.flows()).toEqual([
      { transport: "udp", a: "10.0.0.1:7777", b: "10.0.0.2:50000", aToB: { packets: 1, bytes: 100 }, bToA: { packets: 2, bytes: 120 }, firstUs: 10, lastUs: 30 },
      { transport: "udp", a: "[fd00::1]:4000", b: "[fd00::2]:5000", aToB: { packets: 1, bytes: 80 }, bToA: { packets: 0, bytes: 0 }, firstUs: 5, lastUs: 5 },
      { transport: "tcp", a: "10.0.0.2:50000", b: "10.0.0.1:7777", aToB: { packets: 1, bytes: 60 }, bToA: { packets: 0, bytes: 0 }, firstUs: 40, lastUs: 40 },
    ]);
    const sessions = table.sessions();
    expect(sessions[0]).toMatchObject({
      id: "udp:10.0.0.2:50000-10.0.0.1:7777",
      client: { address: "10.0.0.2", port: 50000 },
      server: { address: "10.0.0.1", port: 7777 },
      clientToServer: { packets: 2, bytes: 120 },
      serverToClient: { packets: 1, bytes: 100 },
      firstUs: 10,
      lastUs: 30,
    });
    expect(sessions[1].id).toBe("udp:[fd00::2]:5000-[fd00::1]:4000");
  });

  it("keeps ids stable across runs and counts a reassembled datagram with its last frame's length", () => {
    const ids = () => {
      const table = new FlowTable();
      table.observe(packet("192.168.1.111", 58637, "52.16.251.62", 59238, 1));
      table.observe({ ...packet("52.16.251.62", 59238, "192.168.1.111", 58637, 2, 3000), lastFrameWireLength: 954 });
      return table;
    };
    expect(ids().sessions().map((session) => session.id)).toEqual(ids().sessions().map((session) => session.id));
    expect(ids().flows()[0].bToA).toEqual({ packets: 1, bytes: 954 });
  });

  it("bounds the number of flows", () => {
    const table = new FlowTable({ maxFlows: 2 });
    table.observe(packet("10.0.0.1", 1, "10.0.0.2", 2, 1));
    table.observe(packet("10.0.0.1", 3, "10.0.0.2", 4, 1));
    expect(table.observe(packet("10.0.0.1", 5, "10.0.0.2", 6, 1)).entry).toBeUndefined();
    expect(table.untrackedPackets).toBe(1);
    expect(table.observe(packet("10.0.0.2", 4, "10.0.0.1", 3, 2)).entry?.aToB.packets).toBe(1);
  });

  it("decides client and server by configured ports, then well-known, then lower port, else first sender", () => {
    const none = new Set<number>();
    expect(isClientSide(50000, 7777, new Set([7777]))).toBe(true);
    expect(isClientSide(7777, 50000, new Set([7777]))).toBe(false);
    expect(isClientSide(53, 40000, none)).toBe(false);
    expect(isClientSide(40000, 443, none)).toBe(true);
    expect(isClientSide(27015, 19132, none)).toBe(true); // lower port 19132 is the server
    expect(isClientSide(19132, 27015, none)).toBe(false);
    expect(isClientSide(58637, 59238, none)).toBe(true); // both ephemeral: first sender is the client
    expect(isClientSide(59238, 58637, none)).toBe(true);
    expect(isClientSide(5000, 5000, none)).toBe(true);
  });
});

describe("FlowTable lookup", () => {
  it("keeps interleaved flows that share port pairs apart (by address and transport), in both directions", () => {
    const table = new FlowTable({ serverPorts: [7777] });
    const clients = ["10.0.0.2", "10.0.0.3", "10.0.0.4"];
    const expected = new Map<string, { toServer: number; toClient: number }>();
    for (let round = 0; round < 20; round++) {
      for (const [index, client] of clients.entries()) {
        // every client uses the same ports; the server answers every other round; tcp shares the ports too
        const port = 50000 + (round % 2);
        const transport = index === 2 && round % 3 === 0 ? "tcp" : "udp";
        const key = `${transport}:${client}:${port}`;
        const counts = expected.get(key) ?? { toServer: 0, toClient: 0 };
        expected.set(key, counts);
        table.observe(packet(client, port, "10.0.0.1", 7777, round * 10 + index, 100, transport));
        counts.toServer += 1;
        if (round % 2 === 1) {
          table.observe(packet("10.0.0.1", 7777, client, port, round * 10 + index + 5, 100, transport));
          counts.toClient += 1;
        }
      }
    }
    expect(table.size).toBe(expected.size);
    const sessions = table.sessions();
    for (const session of sessions) {
      const counts = expected.get(`${session.transport}:${session.client.address}:${session.client.port}`);
      expect(counts).toBeDefined();
      expect([session.clientToServer.packets, session.serverToClient.packets]).toEqual([counts!.toServer, counts!.toClient]);
      expect(session.server).toEqual({ address: "10.0.0.1", port: 7777 });
    }
  });
});
