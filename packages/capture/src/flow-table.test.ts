import { describe, expect, it } from "vitest";
import type { Packet } from "@tickscope/core";
import { FlowTable, decideServer } from "./flow-table.js";

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
      { transport: "udp", a: "10.0.0.1:7777", b: "10.0.0.2:50000", aToB: { packets: 1, bytes: 100 }, bToA: { packets: 2, bytes: 120 }, firstUs: 10, lastUs: 30, server: "10.0.0.1:7777", serverRule: "serverPort" },
      { transport: "udp", a: "[fd00::1]:4000", b: "[fd00::2]:5000", aToB: { packets: 1, bytes: 80 }, bToA: { packets: 0, bytes: 0 }, firstUs: 5, lastUs: 5, server: "[fd00::2]:5000", serverRule: "firstDatagramAtCaptureStart" },
      { transport: "tcp", a: "10.0.0.2:50000", b: "10.0.0.1:7777", aToB: { packets: 1, bytes: 60 }, bToA: { packets: 0, bytes: 0 }, firstUs: 40, lastUs: 40, server: "10.0.0.1:7777", serverRule: "serverPort" },
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
    // neither port is ephemeral and the flow may predate the capture: the first sender is the client (no "lower port is the server" guess)
    expect(sessions[1].id).toBe("udp:[fd00::1]:4000-[fd00::2]:5000");
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

  it("decides the server by --server-port, definition ports, fan-in, first datagram, ephemeral ports, in that order", () => {
    const none = new Set<number>();
    const base = { serverPorts: none, sourceServedSessions: 0, destinationServedSessions: 0, atCaptureStart: false };
    expect(decideServer({ ...base, sourcePort: 50000, destinationPort: 7777, serverPorts: new Set([7777]) })).toEqual({ sourceIsClient: true, rule: "serverPort" });
    expect(decideServer({ ...base, sourcePort: 7777, destinationPort: 50000, serverPorts: new Set([7777]) })).toEqual({ sourceIsClient: false, rule: "serverPort" });
    // --server-port wins over the definition's ports
    expect(
      decideServer({ ...base, sourcePort: 7777, destinationPort: 9000, serverPorts: new Set([9000]), isDefinitionServerPort: (port) => port === 7777 }),
    ).toEqual({ sourceIsClient: true, rule: "serverPort" });
    expect(decideServer({ ...base, sourcePort: 7777, destinationPort: 3074, isDefinitionServerPort: (port) => port === 7777 })).toEqual({ sourceIsClient: false, rule: "definitionPort" });
    // fan-in: the endpoint that already serves sessions is the server, even when it sent first
    expect(decideServer({ ...base, sourcePort: 40000, destinationPort: 3074, sourceServedSessions: 1 })).toEqual({ sourceIsClient: false, rule: "fanIn" });
    expect(decideServer({ ...base, sourcePort: 3074, destinationPort: 40000, destinationServedSessions: 3 })).toEqual({ sourceIsClient: true, rule: "fanIn" });
    // clients initiate: a console on fixed low port 3074 is still the client
    expect(decideServer({ ...base, sourcePort: 3074, destinationPort: 40000 })).toEqual({ sourceIsClient: true, rule: "firstDatagram" });
    // at capture start the first sender may be the server: ephemeral ports decide
    expect(decideServer({ ...base, sourcePort: 7777, destinationPort: 40007, atCaptureStart: true })).toEqual({ sourceIsClient: false, rule: "ephemeralPort" });
    expect(decideServer({ ...base, sourcePort: 58637, destinationPort: 25000, atCaptureStart: true })).toEqual({ sourceIsClient: true, rule: "ephemeralPort" });
    expect(decideServer({ ...base, sourcePort: 58637, destinationPort: 59238, atCaptureStart: true })).toEqual({ sourceIsClient: true, rule: "firstDatagramAtCaptureStart" });
    expect(decideServer({ ...base, sourcePort: 3074, destinationPort: 27015, atCaptureStart: true })).toEqual({ sourceIsClient: true, rule: "firstDatagramAtCaptureStart" });
  });

  it("gives a second client of a server with a fixed low client port the right server (fan-in)", () => {
    const table = new FlowTable();
    // a console on fixed port 3074 talks to a server on 7777 (the old "lower port is the server" rule got this backwards),
    // then a second client on a low port joins and the server speaks first on that flow
    table.observe(packet("10.0.0.2", 3074, "10.0.0.1", 7777, 0));
    table.observe(packet("10.0.0.1", 7777, "10.0.0.2", 3074, 10));
    table.observe(packet("10.0.0.1", 7777, "10.0.0.3", 2000, 5_000_000));
    table.observe(packet("10.0.0.3", 2000, "10.0.0.1", 7777, 5_000_010));
    // a later flow to a server on a high port: the first sender is the client
    table.observe(packet("10.0.0.2", 3074, "10.0.0.9", 40000, 6_000_000));
    const sessions = table.sessions();
    expect(sessions.map((session) => [session.id, session.serverRule])).toEqual([
      ["udp:10.0.0.2:3074-10.0.0.1:7777", "firstDatagramAtCaptureStart"],
      ["udp:10.0.0.3:2000-10.0.0.1:7777", "fanIn"],
      ["udp:10.0.0.2:3074-10.0.0.9:40000", "firstDatagram"],
    ]);
    expect(table.flows().map((flow) => [flow.server, flow.serverRule])).toEqual([
      ["10.0.0.1:7777", "firstDatagramAtCaptureStart"],
      ["10.0.0.1:7777", "fanIn"],
      ["10.0.0.9:40000", "firstDatagram"],
    ]);
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

describe("FlowTable recent-flow cache", () => {
  it("tells apart interleaved flows that share a port pair or a cache slot, in both directions", () => {
    const table = new FlowTable({ serverPorts: [7777] });
    // 300 clients; ports 40000 + (i % 50): six clients share each port pair (other addresses), and 300 pairs over 1,024 slots collide
    const clients = Array.from({ length: 300 }, (_, index) => ({ address: `10.1.${index >> 8}.${index & 255}`, port: 40000 + (index % 50) }));
    for (let round = 0; round < 4; round++) {
      for (const [index, client] of clients.entries()) {
        const tUs = round * 1000 + index;
        expect(table.observe(packet(client.address, client.port, "203.0.113.10", 7777, tUs, 60))).toMatchObject({ isNew: round === 0, direction: "clientToServer" });
        const answer = table.observe(packet("203.0.113.10", 7777, client.address, client.port, tUs, 100 + (index % 7)));
        expect(answer.entry?.id).toBe(`udp:${client.address}:${client.port}-203.0.113.10:7777`);
        expect(answer.direction).toBe("serverToClient");
      }
      // the same ports over TCP are other flows
      table.observe(packet(clients[0]!.address, clients[0]!.port, "203.0.113.10", 7777, round * 1000 + 999, 40, "tcp"));
    }
    expect(table.size).toBe(301);
    const flows = table.flows();
    for (const [index, client] of clients.entries()) {
      expect(flows[index]).toMatchObject({ a: `${client.address}:${client.port}`, aToB: { packets: 4, bytes: 240 }, bToA: { packets: 4, bytes: 4 * (100 + (index % 7)) } });
    }
    expect(flows[300]).toMatchObject({ transport: "tcp", aToB: { packets: 4, bytes: 160 } });
  });

  it("counts a flow between one endpoint and itself as sent by a", () => {
    const table = new FlowTable();
    table.observe(packet("127.0.0.1", 9000, "127.0.0.1", 9000, 1, 50));
    table.observe(packet("127.0.0.1", 9000, "127.0.0.1", 9000, 2, 50));
    expect(table.flows()[0]).toMatchObject({ aToB: { packets: 2, bytes: 100 }, bToA: { packets: 0, bytes: 0 } });
  });
});

