import { describe, expect, it } from "vitest";
import type { GameMessage, PacketObservation } from "@tickscope/core";
import { createLossAnalyzer, type LossAnalyzer } from "./loss-analyzer.js";
import type { LossAnalyzerState } from "./loss-analyzer-state.js";

/** One datagram: its messages as [type, sequence]; `copy`: captured twice (the same bytes again, same IP identification). */
interface Datagram {
  messages: [string, number][];
  copy?: boolean;
}

function feed(analyzer: LossAnalyzer, datagrams: readonly Datagram[], firstPacketIndex = 0): void {
  let packetIndex = firstPacketIndex;
  for (const datagram of datagrams) {
    const copies = datagram.copy === true ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const tUs = 1_000_000 + packetIndex * 10_000 - copy * 9_000;
      const payload = new Uint8Array(datagram.messages.flatMap(([type, sequence]) => [type.charCodeAt(0), sequence & 0xff, sequence >> 8]));
      const packet: PacketObservation = {
        sessionId: "session-1",
        direction: "clientToServer",
        tUs,
        packetIndex,
        wireLength: 42 + payload.length,
        payloadLength: payload.length,
        frameCount: 1,
        payload,
        interfaceId: 0,
        ipIdentification: 1_000 + packetIndex - copy,
      };
      analyzer.onPacket(packet);
      datagram.messages.forEach(([type, sequence], indexInPacket) => {
        const message: GameMessage = {
          sessionId: "session-1",
          direction: "clientToServer",
          tUs,
          packetIndex,
          indexInPacket,
          type,
          byteLength: 3,
          packetWireLength: 45,
          fields: {},
          roles: { sequence, sequenceBits: 16 },
        };
        analyzer.onMessage(message);
      });
      packetIndex += 1;
    }
  }
}

/** Messages per type and distinct sequences per datagram, counted plainly. */
function expectedCounts(datagrams: readonly Datagram[]): { types: { type: string; messages: number }[]; received: number } {
  const types = new Map<string, number>();
  let received = 0;
  const seen = new Set<number>();
  for (const datagram of datagrams) {
    const inPacket = new Set<number>();
    for (const [type, sequence] of datagram.messages) {
      types.set(type, (types.get(type) ?? 0) + 1);
      if (!inPacket.has(sequence) && !seen.has(sequence)) received += 1;
      inPacket.add(sequence);
    }
    for (const sequence of inPacket) seen.add(sequence);
  }
  return { types: [...types].map(([type, messages]) => ({ type, messages })).sort((a, b) => (a.type < b.type ? -1 : 1)), received };
}

/** Runs of types, type changes inside a datagram, up to four sequences a datagram (header roles repeated), captured copies. */
function datagrams(): Datagram[] {
  const out: Datagram[] = [];
  let sequence = 0;
  const types = ["input", "input", "input", "ping", "input", "chat", "chat", "shot", "input"];
  for (let index = 0; index < 400; index++) {
    const type = types[index % types.length]!;
    if (index % 7 === 3) {
      // Four sequences, one of them repeated, in a datagram of three types.
      out.push({ messages: [[type, sequence], ["ping", sequence + 1], [type, sequence], ["chat", sequence + 2], ["chat", sequence + 3], ["input", sequence + 1]] });
      sequence += 4;
    } else {
      out.push({ messages: [[type, sequence]], copy: index % 11 === 5 });
      sequence += 1;
    }
  }
  return out;
}

describe("a stream's message counts and per-datagram sequences", () => {
  it("count every message by type and every sequence once per datagram, in one pass", () => {
    const input = datagrams();
    const analyzer = createLossAnalyzer();
    feed(analyzer, input);
    const row = analyzer.finish().sessions[0]!;
    const expected = expectedCounts(input);
    expect(row.messageTypes).toEqual(expected.types);
    expect(row.messageType).toBe("chat+input+ping+shot");
    expect(row.received).toBe(expected.received);
    expect(row.duplicates).toBe(0);
    expect(row.captureDuplicates).toBe(input.filter((datagram) => datagram.copy === true).length);
  });

  it("keep the counts of a run still going when the state is saved, and add a later pass's at a merge", () => {
    const input = datagrams();
    const cut = 201;
    const first = createLossAnalyzer({ keepSeamLog: true });
    feed(first, input.slice(0, cut));
    // Saved in the middle of a run of one type (and again, to see saving does not count it twice).
    first.saveState();
    const earlier = JSON.parse(JSON.stringify(first.saveState())) as LossAnalyzerState;
    const second = createLossAnalyzer({ keepSeamLog: true });
    const offset = input.slice(0, cut).reduce((packets, datagram) => packets + (datagram.copy === true ? 2 : 1), 0);
    feed(second, input.slice(cut), offset);
    const later = JSON.parse(JSON.stringify(second.saveState())) as LossAnalyzerState;
    const merged = createLossAnalyzer();
    merged.mergeState(earlier, { packetIndexOffset: 0 });
    merged.mergeState(later, { packetIndexOffset: offset });
    const row = merged.finish().sessions[0]!;
    expect(row.messageTypes).toEqual(expectedCounts(input).types);
    // The analyzer that saved goes on counting from where it was.
    feed(first, input.slice(cut), offset);
    expect(first.finish().sessions[0]!.messageTypes).toEqual(expectedCounts(input).types);
  });
});

describe("a direction's first datagrams (head packets)", () => {
  it("keeps the first 32 datagrams of a pass, and the first 32 after a merge that continued the direction", () => {
    const input = datagrams();
    const first = createLossAnalyzer({ keepSeamLog: true });
    feed(first, input.slice(0, 100));
    const earlier = JSON.parse(JSON.stringify(first.saveState())) as LossAnalyzerState;
    const head = earlier.sessions[0]!.clientToServer.headPackets.map((packet) => packet.packetIndex);
    // Captured copies are not new datagrams (packet 6 copies packet 5).
    expect(head).toHaveLength(32);
    expect(head.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 7]);
    const second = createLossAnalyzer({ keepSeamLog: true });
    feed(second, input.slice(100, 120), 200);
    const later = JSON.parse(JSON.stringify(second.saveState())) as LossAnalyzerState;
    const merged = createLossAnalyzer({ keepSeamLog: true });
    merged.mergeState(earlier, { packetIndexOffset: 0 });
    merged.mergeState(later, { packetIndexOffset: 200 });
    // The later pass's head was used at the merge; datagrams after it start a new head.
    feed(merged, input.slice(120, 160), 400);
    const saved = merged.saveState().sessions[0]!.clientToServer.headPackets.map((packet) => packet.packetIndex);
    expect(saved).toHaveLength(32);
    expect(saved[0]).toBe(400);
  });
});
