import { describe, expect, it } from "vitest";
import { hasErrorCode, stringifyReport, type GameMessage, type MessageRoles } from "@tickscope/core";
import { createLossAnalyzer, ENTITY_LIMIT_CODE, STRAY_CODE, STREAM_LIMIT_CODE, type LossAnalyzerOptions } from "./loss-analyzer.js";
import { LossReportSchema } from "./report-schema.js";
import { checkJsonSchema } from "./test-support/json-schema.js";
import { messagesFromSequences } from "./test-support/synthetic.js";

function analyze(messages: GameMessage[], options: LossAnalyzerOptions = {}) {
  const analyzer = createLossAnalyzer(options);
  for (const message of messages) analyzer.onMessage(message);
  const report = analyzer.finish();
  expect(checkJsonSchema(LossReportSchema as Record<string, unknown>, JSON.parse(stringifyReport(report)))).toEqual([]);
  return report;
}

function counts(messages: GameMessage[], options: LossAnalyzerOptions = {}) {
  const report = analyze(messages, options);
  expect(report.sessions).toHaveLength(1);
  const row = report.sessions[0]!;
  return { expected: row.expected, received: row.received, lost: row.lost, duplicates: row.duplicates, reordered: row.reordered, late: row.late, strays: row.strays, resets: row.resets.count };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe("LossAnalyzer accounting on constructed sequences", () => {
  it("counts gaps as loss with exact numbers and a Wilson interval", () => {
    const report = analyze(messagesFromSequences([0, 1, 2, 5, 6, 9], { sequenceBits: 16 }));
    const row = report.sessions[0]!;
    expect({ expected: row.expected, received: row.received, lost: row.lost }).toEqual({ expected: 10, received: 6, lost: 4 });
    expect(row.lossRate).toBe(0.4);
    expect(row.lossRateInterval.lower).toBeLessThan(0.4);
    expect(row.lossRateInterval.upper).toBeGreaterThan(0.4);
    expect(row.bursts.lossRuns.lengths).toEqual([{ length: 2, count: 2 }]);
    expect(row.bursts.meanLength).toBe(2);
    expect(row.bursts.maxLength).toBe(2);
    expect(row.rfc3550).toEqual({ expected: 10, received: 6, lost: 4 });
    expect(row.gapPacketIndices).toEqual([3, 5]);
    expect(row.netem).toMatch(/^loss gemodel /);
    expect(row.method).toBe("gaps");
    const finding = report.findings.find((entry) => entry.kind === "highLoss")!;
    expect(finding).toMatchObject({ severity: "high", startUs: 1_000_000, endUs: 1_050_000, evidence: { packetIndices: [3, 5] } });
  });

  it("never counts reordered packets as loss (RFC 4737)", () => {
    expect(counts(messagesFromSequences([0, 1, 3, 2, 4, 7, 5, 6, 8]))).toMatchObject({ expected: 9, received: 9, lost: 0, reordered: 3 });
  });

  it("counts duplicates apart and reports A.3's negative loss alongside", () => {
    const report = analyze(messagesFromSequences([0, 1, 1, 2, 2, 3, 1], { sequenceBits: 16 }));
    const row = report.sessions[0]!;
    expect(row).toMatchObject({ expected: 4, received: 4, lost: 0, duplicates: 3, reordered: 0 });
    expect(row.rfc3550).toEqual({ expected: 4, received: 7, lost: -3 });
  });

  it("counts a header sequence copied onto several messages of one datagram once", () => {
    const messages = messagesFromSequences([0, 1, 3]).flatMap((message) => [
      message,
      { ...message, indexInPacket: 1, type: "event" },
      { ...message, indexInPacket: 2, type: "snapshot" },
    ]);
    const report = analyze(messages);
    const row = report.sessions[0]!;
    expect(row).toMatchObject({ expected: 4, received: 3, lost: 1, duplicates: 0, messageType: "event+rtp+snapshot" });
    expect(row.messageTypes).toEqual([
      { type: "event", messages: 3 },
      { type: "rtp", messages: 3 },
      { type: "snapshot", messages: 3 },
    ]);
  });

  it("counts per-message sequences of one datagram (Firefall-style) and per channel", () => {
    const message = (packetIndex: number, channel: number, sequence: number): GameMessage => ({
      sessionId: "s",
      direction: "serverToClient",
      tUs: packetIndex * 1000,
      packetIndex,
      indexInPacket: 0,
      type: channel === 3 ? "unreliable" : "reliable",
      byteLength: 10,
      packetWireLength: 60,
      fields: {},
      roles: { sequence, channel, sequenceBits: 16 },
    });
    const messages = [message(0, 3, 10), message(0, 3, 11), message(0, 2, 500), message(1, 3, 13), message(1, 2, 501), message(2, 3, 14)];
    const report = analyze(messages);
    expect(report.sessions.map((row) => [row.channel, row.expected, row.lost])).toEqual([
      ["2", 2, 0],
      ["3", 5, 1],
    ]);
  });

  it("handles 16-bit and 8-bit wrap-around without phantom loss", () => {
    expect(counts(messagesFromSequences([65534, 65535, 0, 1, 2], { sequenceBits: 16 }))).toMatchObject({ expected: 5, lost: 0, resets: 0 });
    const wrapped = [...range(0, 255), ...range(0, 255), ...range(0, 9)];
    expect(counts(messagesFromSequences(wrapped, { sequenceBits: 8 }))).toMatchObject({ expected: 522, lost: 0, resets: 0 });
    expect(counts(messagesFromSequences([254, 255, 1, 2], { sequenceBits: 8 }))).toMatchObject({ expected: 5, lost: 1 });
    const report = analyze(messagesFromSequences([65534, 65535, 0, 1, 2], { sequenceBits: 16 }));
    expect(report.sessions[0]!.sequenceBits).toBe(16);
  });

  it("treats a wrap without a known width as a confirmed restart, not loss", () => {
    const report = analyze(messagesFromSequences([65533, 65534, 65535, 0, 1, 2]));
    const row = report.sessions[0]!;
    expect(row).toMatchObject({ expected: 6, lost: 0, strays: 0 });
    expect(row.resets.count).toBe(1);
    expect(row.resets.candidates[0]).toMatchObject({ reason: "restart", fromSequence: 65535, toSequence: 0, packetIndex: 3 });
    expect(row.rfc3550).toBeNull();
    expect(report.findings.some((finding) => finding.kind === "resetCandidate")).toBe(true);
  });

  it("uses defaultSequenceBits when the role is absent", () => {
    expect(counts(messagesFromSequences([65534, 65535, 0, 1]), { defaultSequenceBits: 16 })).toMatchObject({ expected: 4, lost: 0, resets: 0 });
  });

  it("turns a sequence reset (map change) into a reset candidate, not thousands of losses", () => {
    const sequences = [...range(5000, 5100), ...range(0, 50)];
    const row = analyze(messagesFromSequences(sequences, { sequenceBits: 16 })).sessions[0]!;
    expect(row).toMatchObject({ expected: 152, received: 152, lost: 0 });
    expect(row.resets.candidates).toEqual([
      expect.objectContaining({ reason: "restart", fromSequence: 5100, toSequence: 0, skippedSequences: 0 }),
    ]);
    const forward = analyze(messagesFromSequences([...range(0, 10), ...range(20000, 20010)], { sequenceBits: 16 })).sessions[0]!;
    expect(forward).toMatchObject({ expected: 22, lost: 0 });
    expect(forward.resets.candidates[0]).toMatchObject({ reason: "jump", skippedSequences: 19989 });
  });

  it("reports a long pause followed by a jump as a pause candidate", () => {
    const before = messagesFromSequences(range(0, 20));
    const after = messagesFromSequences(range(200, 220), { startUs: 1_000_000 + 5_000_000 }).map((message) => ({ ...message, packetIndex: message.packetIndex + 21 }));
    const row = analyze([...before, ...after]).sessions[0]!;
    expect(row).toMatchObject({ expected: 42, lost: 0 });
    expect(row.resets.candidates[0]).toMatchObject({ reason: "pause", fromSequence: 20, toSequence: 200, skippedSequences: 179 });
    expect(row.resets.candidates[0]!.pauseMs).toBeCloseTo(4800, 0);
    // A small gap after a pause stays loss.
    const small = [...messagesFromSequences(range(0, 5)), ...messagesFromSequences([8, 9], { startUs: 9_000_000 })];
    expect(counts(small)).toMatchObject({ expected: 10, lost: 2, resets: 0 });
  });

  it("ignores a lone far-away sequence as a stray", () => {
    const messages = messagesFromSequences([0, 1, 2, 30000, 3, 4], { sequenceBits: 16 });
    const report = analyze(messages);
    expect(report.sessions[0]).toMatchObject({ expected: 5, lost: 0, strays: 1 });
    expect(report.anomalies[STRAY_CODE]!.count).toBe(1);
    // A stray pending at the end too.
    expect(counts(messagesFromSequences([0, 1, 2, 30000], { sequenceBits: 16 }))).toMatchObject({ expected: 3, strays: 1 });
  });

  it("counts a very late copy of a recent sequence as a stray, not a restart", () => {
    const messages = messagesFromSequences(range(0, 300), { intervalMs: 10 });
    const copy = { ...messages[100]!, tUs: messages[250]!.tUs + 5, packetIndex: 10_000 };
    messages.splice(251, 0, copy);
    expect(counts(messages)).toMatchObject({ expected: 301, lost: 0, duplicates: 0, strays: 1, resets: 0 });
  });

  it("counts a packet older than the window as a stray, not a reset", () => {
    const sequences = [...range(0, 200), 5, ...range(201, 205)];
    expect(counts(messagesFromSequences(sequences), { windowSize: 64, maxGap: 32 })).toMatchObject({ expected: 206, lost: 0, strays: 1, resets: 0 });
  });

  it("does not turn capture start or end edges into loss", () => {
    // Capture starts mid-stream with reordering around the first packet.
    expect(counts(messagesFromSequences([100, 98, 99, 101, 102]))).toMatchObject({ expected: 5, lost: 0, reordered: 2 });
    // A packet before the first one with a hole: the hole is a real gap.
    expect(counts(messagesFromSequences([100, 97, 101]))).toMatchObject({ expected: 5, lost: 2 });
    // Nothing after the last packet is expected.
    expect(counts(messagesFromSequences([7, 8, 9]))).toMatchObject({ expected: 3, lost: 0 });
  });

  it("finalizes slots as the window moves (long streams, bounded window)", () => {
    const sequences = range(0, 9999).filter((sequence) => sequence % 100 !== 50);
    expect(counts(messagesFromSequences(sequences), { windowSize: 64, maxGap: 32 })).toMatchObject({ expected: 10000, lost: 100 });
  });

  it("counts late arrivals from the sender clock and from reorder waiting time", () => {
    const messages = messagesFromSequences(range(0, 9), { intervalMs: 10 });
    for (const message of messages) message.roles.sendTimeUs = message.tUs - 20_000;
    messages[4]!.roles.sendTimeUs = messages[4]!.tUs - 200_000;
    expect(counts(messages, { playoutDelayMs: 100 })).toMatchObject({ late: 1, lost: 0 });
    const reordered = messagesFromSequences([0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1], { intervalMs: 10 });
    expect(counts(reordered, { playoutDelayMs: 100 })).toMatchObject({ late: 1, reordered: 1, lost: 0 });
    expect(counts(reordered, { playoutDelayMs: 200 })).toMatchObject({ late: 0 });
  });

  it("ignores non-finite sequence roles as anomalies and accepts negative sequences", () => {
    const messages = messagesFromSequences([-3, -2, 0]);
    messages.push({ ...messages[2]!, packetIndex: 3, roles: { sequence: Number.NaN } });
    messages.push({ ...messages[2]!, packetIndex: 4, roles: { sequence: 1, inputSequence: Number.POSITIVE_INFINITY } });
    const report = analyze(messages);
    expect(report.sessions[0]).toMatchObject({ expected: 4, lost: 1, strays: 0 });
    expect(report.anomalies["E_LOSS_BAD_ROLE"]!.count).toBe(2);
  });

  it("lists unsequenced messages and counts decode anomalies", () => {
    const analyzer = createLossAnalyzer();
    analyzer.onMessage({ ...messagesFromSequences([0])[0]!, roles: {} });
    analyzer.onAnomaly({ sessionId: "s", direction: "clientToServer", tUs: 0, packetIndex: 4, code: "E_DECODE_FAILED", detail: "x" });
    const report = analyzer.finish();
    expect(report.unsequencedMessages).toEqual([{ id: "session-1", direction: "serverToClient", messageType: "rtp", messages: 1 }]);
    expect(report.anomalies["E_DECODE_FAILED"]).toEqual({ count: 1, examples: [4] });
    expect(report.sessions).toEqual([]);
  });

  it("separates message types when asked", () => {
    const a = messagesFromSequences([0, 1, 2], { type: "a" });
    const b = messagesFromSequences([0, 2], { type: "b", startUs: 1_000_500 }).map((message) => ({ ...message, packetIndex: message.packetIndex + 10 }));
    const merged = [...a, ...b].sort((x, y) => x.tUs - y.tUs);
    const report = analyze(merged, { spacePerMessageType: true });
    expect(report.sessions.map((row) => [row.messageType, row.lost])).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
  });

  it("bounds the number of streams", () => {
    const messages = [0, 1, 2].map((channel) => ({ ...messagesFromSequences([channel])[0]!, packetIndex: channel, roles: { sequence: 1, channel } }));
    const report = analyze(messages, { maxStreams: 2 });
    expect(report.sessions).toHaveLength(2);
    expect(report.anomalies[STREAM_LIMIT_CODE]!.count).toBe(1);
  });

  it("rejects invalid options with E_INVALID_OPTION", () => {
    for (const options of [
      { windowSize: 100 },
      { windowSize: 32 },
      { maxGap: 5000 },
      { maxGap: 0 },
      { confidence: 1 },
      { patternLength: 20 },
      { vantagePoint: "moon" as never },
    ]) {
      let error: unknown;
      try {
        createLossAnalyzer(options);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
  });

  it("is deterministic: same input, identical JSON", () => {
    const sequences = range(0, 3000).filter((sequence) => sequence % 7 !== 3 && sequence % 11 !== 5);
    const first = stringifyReport(analyze(messagesFromSequences(sequences, { sequenceBits: 16 })));
    const second = stringifyReport(analyze(messagesFromSequences(sequences, { sequenceBits: 16 })));
    expect(first).toBe(second);
  });
});

describe("LossAnalyzer sender-side vantage point (acks)", () => {
  // Client → server datagrams 0..99 seen at the client; the server acks with ack/ackBits.
  function senderCapture(lostAtServer: Set<number>, ackEvery = 1, ackBitsWidth = 16): GameMessage[] {
    const messages: GameMessage[] = [];
    let packetIndex = 0;
    const received: number[] = [];
    for (let sequence = 0; sequence < 100; sequence++) {
      const tUs = 1_000_000 + sequence * 16_000;
      messages.push({
        sessionId: "s",
        direction: "clientToServer",
        tUs,
        packetIndex: packetIndex++,
        indexInPacket: 0,
        type: "input",
        byteLength: 20,
        packetWireLength: 62,
        fields: {},
        roles: { sequence, sequenceBits: 16 },
      });
      if (!lostAtServer.has(sequence)) received.push(sequence);
      if (sequence % ackEvery !== 0 || received.length === 0) continue;
      const ack = received[received.length - 1]!;
      let ackBits = 0;
      for (let bit = 0; bit < ackBitsWidth; bit++) if (received.includes(ack - 1 - bit)) ackBits += 2 ** bit;
      const roles: MessageRoles = { sequence: sequence + 1000, sequenceBits: 16, ack, ackBits, ackBitsWidth };
      const reply: GameMessage = { ...messages[messages.length - 1]!, direction: "serverToClient", tUs: tUs + 5000, packetIndex: packetIndex++, type: "snapshot", roles };
      messages.push(reply, { ...reply, indexInPacket: 1 });
    }
    return messages;
  }

  it("infers what the peer did not receive from ack/ackBits, without end-edge loss", () => {
    const lost = new Set([10, 11, 12, 50, 97]);
    const report = analyze(senderCapture(lost));
    const row = report.sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(row.method).toBe("acks");
    // Sequence 97 is acked as missing by the acks of 98 and 99; 99 itself is acked. All 100 are covered.
    expect(row).toMatchObject({ expected: 100, lost: 5, received: 95 });
    expect(row.senderView).toMatchObject({ covered: 100, acknowledged: 95, lost: 5, acksBeyondHighest: 0 });
    expect(row.senderView!.meanAckRedundancy).toBeGreaterThan(10);
    expect(row.bursts.lossRuns.lengths).toEqual([
      { length: 1, count: 2 },
      { length: 3, count: 1 },
    ]);
    const receiverView = analyze(senderCapture(lost), { vantagePoint: "receiver" }).sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(receiverView).toMatchObject({ method: "gaps", lost: 0 });
    expect(analyze(senderCapture(lost), { vantagePoint: "client" }).sessions[0]!.method).toBe("acks");
    expect(analyze(senderCapture(lost), { vantagePoint: "server" }).sessions[0]!.method).toBe("gaps");
  });

  it("does not count sequences no ack ever covered (capture end) as lost", () => {
    const messages = senderCapture(new Set(), 10).filter((message) => message.direction === "clientToServer" || message.roles.ack! < 60);
    const row = analyze(messages).sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(row.senderView!.lost).toBe(0);
    expect(row.senderView!.covered).toBeLessThan(100);
    expect(row.method).toBe("gaps");
  });

  it("reads ack windows wider than 32 bits (bits 32 and up acknowledge too)", () => {
    // Acks at sequences 0, 40 and 80 with 40 ack bits cover 0..80; 5 is 35 behind ack 40 (bit 34), 33 is bit 6.
    const row = analyze(senderCapture(new Set([5, 33]), 40, 40)).sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(row.method).toBe("acks");
    expect(row.senderView).toMatchObject({ covered: 81, acknowledged: 79, lost: 2 });
    expect(row.gapPacketIndices).toEqual([]);
    // With 32-bit ack windows, 1..7 and 41..47 are never covered: 0, 8..40 and 48..80 remain (5 is unobservable).
    const narrow = analyze(senderCapture(new Set([5, 33]), 40, 32)).sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(narrow.senderView).toMatchObject({ covered: 67, acknowledged: 66, lost: 1 });
  });

  it("counts acks for sequences never seen sent", () => {
    const messages = senderCapture(new Set());
    messages.push({ ...messages[messages.length - 1]!, packetIndex: 9999, roles: { ack: 500, ackBits: 0 } });
    const row = analyze(messages).sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(row.senderView!.acksBeyondHighest).toBe(1);
  });

  it("ignores acks before the peer's first packet", () => {
    const analyzer = createLossAnalyzer();
    analyzer.onMessage({ ...messagesFromSequences([1], { direction: "serverToClient" })[0]!, roles: { ack: 1 } });
    analyzer.onMessage({ ...messagesFromSequences([1], { direction: "clientToServer" })[0]!, packetIndex: 1, roles: { sequence: 1 } });
    const report = analyzer.finish();
    expect(report.sessions[0]!.senderView).toBeNull();
  });

  it("routes acks to every type of the channel when types are separate", () => {
    const report = analyze(senderCapture(new Set([5])), { spacePerMessageType: true });
    const row = report.sessions.find((entry) => entry.direction === "clientToServer")!;
    expect(row.senderView!.lost).toBe(1);
  });
});

describe("LossAnalyzer inputs inside multi-message datagrams", () => {
  it("counts an input message that is not the first message of its datagram", () => {
    const datagrams = messagesFromSequences([0, 1, 2, 4, 5]);
    const messages = datagrams.flatMap((first, index) => [
      { ...first, type: "ping" },
      { ...first, indexInPacket: 1, type: "input", roles: { ...first.roles, inputSequence: [0, 1, 2, 4, 5][index]!, inputCount: 1 } },
    ]);
    const report = analyze(messages);
    const impact = report.syncImpact.find((entry) => entry.kind === "input");
    expect(impact).toMatchObject({ inputsExpected: 6, inputsLost: 1, currentRedundancy: 1 });
  });
});

describe("LossAnalyzer entity bound", () => {
  it("counts entities beyond the limit as anomalies", () => {
    const messages = messagesFromSequences([0, 1, 2]).map((message, index) => ({
      ...message,
      roles: { ...message.roles, entities: [{ entityId: index, position: { x: 1, y: 0, z: 0 } }] },
    }));
    const report = analyze(messages, { maxEntitiesPerStream: 2 });
    expect(report.anomalies[ENTITY_LIMIT_CODE]!.count).toBe(1);
    const sparse = messages.map((message, index) => ({ ...message, roles: { ...message.roles, entities: [{ entityId: [100_000, -1, 2.5][index]!, position: { x: 1, y: 0, z: 0 } }] } }));
    expect(analyze(sparse, { maxEntitiesPerStream: 2 }).anomalies[ENTITY_LIMIT_CODE]!.count).toBe(1);
  });

  it("measures correction jumps the same for any entity id (small, large, negative, fractional)", () => {
    // Entities moving at 60 units/s without a velocity role: a jump of 1 unit per update, 3 units after 2 lost updates.
    const sequences = [0, 1, 2, 3, 6, 7, 8];
    const jumpsWithIds = (ids: number[]) => {
      const messages = messagesFromSequences(sequences).map((message, index) => ({
        ...message,
        roles: { ...message.roles, tick: sequences[index]!, entities: ids.map((entityId, entity) => ({ entityId, position: { x: sequences[index]! + entity * 100, y: 0, z: 0 } })) },
      }));
      const impact = analyze(messages).syncImpact.find((entry) => entry.kind === "state");
      return impact?.kind === "state" ? impact.correctionJump : undefined;
    };
    const dense = jumpsWithIds([0, 1, 4095]);
    expect(dense!.afterLoss).toMatchObject({ count: 3, max: 3 });
    expect(dense!.baseline).toMatchObject({ count: 15, max: 1 });
    expect(jumpsWithIds([4096, 1_000_000, -7])).toEqual(dense);
    expect(jumpsWithIds([0.5, 2 ** 40, Number.MAX_SAFE_INTEGER])).toEqual(dense);
  });
});
