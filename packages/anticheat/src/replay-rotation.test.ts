import type { GameMessage, MessageRoles } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";
import type { AnticheatAnalyzerState } from "./anticheat-state.js";
import { feedEvents } from "./test-support/partial-passes.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

const T0 = 1_760_000_000_000_000;
const FRAME_US = 1_000_000 / 60;

/** A client input at frame `frame` with sequence `sequence` (its payload follows `payload`). */
function input(stream: StreamBuilder, tUs: number, sequence: number | bigint, payload: number, extra: MessageRoles = {}): void {
  const bits = typeof sequence === "bigint" ? 64 : 16;
  stream.client(tUs, "input", { sequence, sequenceBits: bits, sendTimeUs: payload * FRAME_US, inputSequence: payload, ...extra });
}

/** A stream with a server snapshot first (the session is established) and `frames` inputs numbered from `first`. */
function established(frames: number, first: number | bigint = 0): StreamBuilder {
  const stream = new StreamBuilder();
  stream.server(T0 - 10_000, "snapshot", { sequence: 1, sequenceBits: 16 });
  for (let frame = 0; frame < frames; frame++) {
    const sequence = typeof first === "bigint" ? first + BigInt(frame) : first + frame;
    input(stream, T0 + frame * FRAME_US, sequence, frame);
  }
  return stream;
}

/** JSON round trip, as a `.tspart` file carries a state. */
function carried(state: AnticheatAnalyzerState): AnticheatAnalyzerState {
  return JSON.parse(JSON.stringify(state)) as AnticheatAnalyzerState;
}

/**
 * One pass over `messages`, and a rotation cut before each message index in
 * `cuts` (each file numbering its packets from 0), every pass saved, carried
 * and merged in order into a fresh analyzer.
 */
function rotation(messages: readonly GameMessage[], cuts: readonly number[]): { one: AnticheatReport; merged: AnticheatReport; mergedState: AnticheatAnalyzerState } {
  const sessions = [{ id: messages[0]!.sessionId } as never];
  const events = messages.map((message) => ({ message }));
  const one = new AnticheatAnalyzer();
  feedEvents(one, sessions, events);
  const merged = new AnticheatAnalyzer();
  const bounds = [0, ...cuts, events.length];
  for (let pass = 0; pass + 1 < bounds.length; pass++) {
    const part = events.slice(bounds[pass], bounds[pass + 1]);
    const offset = part[0]!.message.packetIndex;
    const analyzer = new AnticheatAnalyzer();
    feedEvents(analyzer, sessions, part, offset);
    merged.mergeState(carried(analyzer.saveState()), { packetIndexOffset: offset });
  }
  const mergedState = carried(merged.saveState());
  return { one: one.finish(), merged: merged.finish(), mergedState };
}

function replayOf(report: AnticheatReport) {
  return report.findings.find((finding) => finding.kind === "replay");
}

describe("replay detector across a rotation cut", () => {
  for (const first of [0, 2n ** 63n]) {
    it(`a network duplicate exactly at the cut (first copy in the earlier file, second in the later) counts as in one pass (${typeof first} sequences)`, () => {
      const stream = established(100, first);
      // The last datagram of the first file, copied 1 ms later: the first datagram of the second file.
      const last = stream.messages[stream.messages.length - 1]!;
      const cut = stream.messages.length;
      stream.client(last.tUs + 1000, "input", { ...last.roles });
      for (let frame = 100; frame < 400; frame++) input(stream, T0 + frame * FRAME_US + 2000, typeof first === "bigint" ? first + BigInt(frame) : frame, frame);
      const { one, merged } = rotation(stream.messages, [cut]);
      expect(one.summary.networkDuplicates).toBe(1);
      expect(merged.summary.networkDuplicates).toBe(1);
      expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
    });
  }

  it("a duplicate at the cut of a session whose later file opens with server traffic (its datagrams gameplay there too), authenticated", () => {
    const stream = new StreamBuilder();
    const authenticated = { authenticated: true };
    let cut = 0;
    for (let frame = 0; frame < 200; frame++) {
      const tUs = T0 + frame * FRAME_US;
      if (frame === 100) {
        const last = stream.messages[stream.messages.length - 1]!;
        cut = stream.messages.length;
        stream.server(tUs - 2000, "snapshot", { sequence: 1000 + frame, sequenceBits: 16 });
        stream.client(last.tUs + 1000, "input", { ...last.roles });
      } else if (frame % 10 === 0) stream.server(tUs - 2000, "snapshot", { sequence: 1000 + frame, sequenceBits: 16 });
      input(stream, tUs, frame, frame, authenticated);
    }
    // An edited replay of the first file's last datagram, early in the second: evidence in packet order with the later one.
    input(stream, T0 + 200 * FRAME_US, 99, 4242, authenticated);
    input(stream, T0 + 201 * FRAME_US, 150, 4343, authenticated);
    const { one, merged } = rotation(stream.messages, [cut]);
    expect(one.summary.networkDuplicates).toBe(1);
    expect(replayOf(one)?.evidence.values).toMatchObject({ replays: 2, editedPayload: 2 });
    expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
  });

  it("authenticated: an edit of the first file's last datagram, its own copy and a channel new in the second file, with server traffic on both sides", () => {
    const stream = new StreamBuilder();
    const authenticated = { authenticated: true };
    stream.server(T0 - 10_000, "snapshot", { sequence: 1, sequenceBits: 16 });
    for (let frame = 0; frame < 100; frame++) input(stream, T0 + frame * FRAME_US, frame, frame, authenticated);
    const cut = stream.messages.length;
    const atUs = T0 + 100 * FRAME_US;
    stream.server(atUs, "snapshot", { sequence: 2, sequenceBits: 16 });
    // Alone, the second file sees an original then its network duplicate; one pass, two edits of sequence 99.
    input(stream, atUs + 1000, 99, 8888, authenticated);
    input(stream, atUs + 2000, 99, 8888, authenticated);
    for (let frame = 100; frame < 140; frame++) {
      input(stream, atUs + 3000 + (frame - 100) * FRAME_US, frame, frame, authenticated);
      input(stream, atUs + 3500 + (frame - 100) * FRAME_US, frame - 100, frame, { ...authenticated, channel: 2 });
    }
    const { one, merged } = rotation(stream.messages, [cut]);
    expect(replayOf(one)?.evidence.values).toMatchObject({ replays: 2, editedPayload: 2, networkDuplicates: 0 });
    expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
  });

  it("an edited copy, a late identical re-send and a stale sequence right after the cut are the replays one pass finds", () => {
    const stream = established(200);
    const cut = stream.messages.length;
    const atUs = T0 + 200 * FRAME_US;
    input(stream, atUs, 150, 9999); // sequence 150 with another payload: edited
    input(stream, atUs + 1000, 160, 160); // byte-identical to frame 160, long after it: re-sent
    input(stream, atUs + 2000, 65_536 - 100, 7777); // 299 behind the newest (199): stale
    for (let frame = 200; frame < 260; frame++) input(stream, atUs + 3000 + (frame - 200) * FRAME_US, frame, frame);
    const { one, merged } = rotation(stream.messages, [cut]);
    expect(replayOf(one)?.evidence.values).toMatchObject({ replays: 3, editedPayload: 1, resentIdentical: 1, staleSequences: 1, maxPacketsBehind: 299 });
    expect(replayOf(merged)).toEqual(replayOf(one));
  });

  it("a repeat the later file alone judges against its own first copy is judged against the earlier file's original", () => {
    const stream = established(100);
    const original = stream.messages.find((message) => message.roles.sequence === 99)!;
    const cut = stream.messages.length;
    // The later file: sequence 99 edited (a replay), then the original's bytes again within the duplicate window.
    input(stream, original.tUs + 1000, 99, 5555);
    stream.client(original.tUs + 2000, "input", { ...original.roles });
    for (let frame = 100; frame < 140; frame++) input(stream, T0 + frame * FRAME_US + 3000, frame, frame);
    const { one, merged } = rotation(stream.messages, [cut]);
    // One pass: the edit is a replay, the second copy a network duplicate of the original (the later file alone: an edit of its first copy).
    expect(replayOf(one)?.evidence.values).toMatchObject({ replays: 1, editedPayload: 1, networkDuplicates: 1 });
    expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
  });

  it("three files, a duplicate at each cut and a channel first seen in the last file: one pass's report, and the merged state carries on", () => {
    const stream = established(300);
    const copyLast = (delayUs: number): void => {
      const last = stream.messages[stream.messages.length - 1]!;
      stream.client(last.tUs + delayUs, "input", { ...last.roles });
    };
    const firstCut = stream.messages.length;
    copyLast(500);
    for (let frame = 300; frame < 600; frame++) input(stream, T0 + frame * FRAME_US + 1000, frame, frame);
    const secondCut = stream.messages.length;
    copyLast(500);
    for (let frame = 600; frame < 700; frame++) {
      input(stream, T0 + frame * FRAME_US + 1000, frame, frame);
      input(stream, T0 + frame * FRAME_US + 1500, frame - 600, frame, { channel: 1 });
    }
    // A replay late in the last file of a datagram from the second file's end (inside the slot window).
    input(stream, T0 + 700 * FRAME_US + 1000, 590, 12345);
    const { one, merged, mergedState } = rotation(stream.messages, [firstCut, secondCut]);
    expect(one.summary.networkDuplicates).toBe(2);
    expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
    // The merged state (both heads joined, the last file's slots) finishes to the same report when restored.
    const restored = new AnticheatAnalyzer();
    restored.mergeState(mergedState, { packetIndexOffset: 0 });
    expect(JSON.stringify(restored.finish())).toBe(JSON.stringify(one));
  });

  it("saves at most the slot window of slots and head datagrams per sequence space", () => {
    const analyzer = new AnticheatAnalyzer();
    feedEvents(analyzer, [{ id: "session-a" } as never], established(1000).messages.map((message) => ({ message })));
    const [space] = analyzer.saveState().sessions[0]!.replay.spaces;
    expect(space!.slotLows).toHaveLength(256);
    expect(space!.headSequences).toHaveLength(256);
    expect(space!.headSequences[0]).toBe(0);
  });
});
