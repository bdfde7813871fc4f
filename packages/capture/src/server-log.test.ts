import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ErrorCode, hasErrorCode, type LogEvent } from "@tickscope/core";
import { logTimeToMicroseconds, readServerLog, type ServerLogMapping } from "./server-log.js";

const encode = (text: string) => new TextEncoder().encode(text);

describe("readServerLog", () => {
  const mapping: ServerLogMapping = {
    timeField: "ts",
    timeUnit: "ms",
    clockOffsetUs: -500,
    typeField: "event",
    sessionField: "session",
    playerField: "player",
    regionField: "region",
    valueFields: ["rttMs", "pauseMs"],
    labelFields: ["map"],
  };

  it("maps NDJSON lines to LogEvents aligned to capture time and counts bad lines", async () => {
    const text = [
      '{"ts": 1700000000000, "event": "rtt", "session": "s1", "player": "p7", "region": "eu-west", "rttMs": 42.5, "map": "dust"}',
      "",
      "not json",
      '{"event": "tick"}',
      "[1, 2]",
      '{"ts": "1700000000001.5", "event": "gc_pause", "pauseMs": "12", "ignored": 3}',
    ].join("\n");
    const result = await readServerLog(encode(text), mapping);
    expect(result.lines).toBe(5);
    expect(result.anomalies).toEqual({ [ErrorCode.badLogLine]: 3 });
    expect(result.anomalyDetails[ErrorCode.badLogLine].examples).toEqual([3, 4, 5]);
    expect(result.events).toEqual<LogEvent[]>([
      { tUs: 1_700_000_000_000_000 - 500, type: "rtt", session: "s1", player: "p7", region: "eu-west", values: { rttMs: 42.5 }, labels: { map: "dust" }, line: 1 },
      { tUs: 1_700_000_000_001_500 - 500, type: "gc_pause", values: { pauseMs: 12 }, labels: {}, line: 6 },
    ]);
  });

  it("reads CSV with a header row through csv-parse, keeping every numeric column by default", async () => {
    const csv = 'time,kind,player,rtt,note\n1.5,rtt,p1,30,"a, quoted"\n2.0,rtt,p2,abc,x\noops,rtt,p3,1,y\n"unterminated,rtt\n';
    const result = await readServerLog(encode(csv), { timeField: "time", timeUnit: "s", typeField: "kind", playerField: "player" });
    expect(result.events).toEqual([
      { tUs: 1_500_000, type: "rtt", player: "p1", values: { rtt: 30 }, labels: {}, line: 2 },
      { tUs: 2_000_000, type: "rtt", player: "p2", values: {}, labels: {}, line: 3 },
    ]);
    expect(result.anomalies[ErrorCode.badLogLine]).toBeGreaterThanOrEqual(2);
    expect(result.anomalyDetails[ErrorCode.badLogLine].examples).toContain(4); // "oops" is not a time
  });

  it("streams gzip input in pieces and hands events to onEvent", async () => {
    const lines = Array.from({ length: 50 }, (_, index) => JSON.stringify({ t: index * 1_000_000, type: "tick", tick: index })).join("\n") + "\n";
    const compressed = gzipSync(encode(lines));
    const pieces = Array.from({ length: Math.ceil(compressed.length / 10) }, (_, index) => Buffer.from(compressed.subarray(index * 10, index * 10 + 10)));
    const seen: LogEvent[] = [];
    const result = await readServerLog(Readable.from(pieces), { timeField: "t", timeUnit: "ns", typeField: "type", format: "ndjson" }, { onEvent: (event) => seen.push(event), name: "server.log.gz" });
    expect(result.file).toBe("server.log.gz");
    expect(result.events).toEqual([]);
    expect(seen).toHaveLength(50);
    expect(seen[49]).toMatchObject({ tUs: 49_000, type: "tick", values: { tick: 49 } });
  });

  it("converts time units and ISO-8601 with sub-millisecond digits", () => {
    expect(logTimeToMicroseconds(2, "s")).toBe(2_000_000);
    expect(logTimeToMicroseconds("7", "us")).toBe(7);
    expect(logTimeToMicroseconds("2024-01-01T00:00:00.123456Z", "iso")).toBe(Date.UTC(2024, 0, 1) * 1000 + 123_456);
    expect(logTimeToMicroseconds("2024-01-01T00:00:01Z", "iso")).toBe(Date.UTC(2024, 0, 1, 0, 0, 1) * 1000);
    expect(logTimeToMicroseconds("nope", "iso")).toBeUndefined();
    expect(logTimeToMicroseconds(5, "iso")).toBeUndefined();
    expect(logTimeToMicroseconds("", "ms")).toBeUndefined();
    expect(logTimeToMicroseconds(null, "ms")).toBeUndefined();
  });

  it("rejects a mapping without a time field", async () => {
    await expect(readServerLog(encode("{}"), { timeField: "", timeUnit: "s" })).rejects.toSatisfy((error) => hasErrorCode(error, ErrorCode.invalidOption));
  });
});
