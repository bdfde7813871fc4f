import { Readable } from "node:stream";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { ErrorCode, type LogEvent, type MessageAnalyzer, type PacketObservation } from "@tickscope/core";
import { runCapturePipeline } from "./capture-pipeline.js";
import { openServerLog } from "./server-log.js";
import { TimeOrderedLog } from "./time-ordered-log.js";
import { writePcap } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;
const event = (tUs: number, line: number): LogEvent => ({ tUs, type: "tick", values: {}, labels: {}, line });

async function* slowly(events: readonly LogEvent[]): AsyncGenerator<LogEvent> {
  for (const item of events) yield item;
}

async function drain(log: TimeOrderedLog): Promise<number[]> {
  const lines: number[] = [];
  await log.deliverThrough(Number.POSITIVE_INFINITY, (item) => lines.push(item.line));
  return lines;
}

describe("TimeOrderedLog", () => {
  it("puts events back in time order within the reorder window, ties in file order", async () => {
    const times = [5, 3, 4, 1, 2, 2, 9, 7, 8, 6];
    const log = new TimeOrderedLog(
      slowly(times.map((tUs, index) => event(tUs, index + 1))),
      { reorderWindow: 4, lookahead: 3 },
    );
    expect(await drain(log)).toEqual([4, 5, 6, 2, 3, 1, 10, 8, 9, 7]);
    expect(log.anomalyCounts()).toEqual({});
    expect(log.finished).toBe(true);
    expect(log.delivered).toBe(10);
  });

  it("delivers an event later than the window allows, counted as E_LOG_OUT_OF_ORDER with its line", async () => {
    const log = new TimeOrderedLog(slowly([event(10, 1), event(11, 2), event(12, 3), event(13, 4), event(1, 5)]), { reorderWindow: 2, lookahead: 1 });
    expect(await drain(log)).toEqual([1, 2, 5, 3, 4]); // line 5 (t=1) arrives after 11 and 10 were released
    expect(log.anomalyCounts()).toEqual({ [ErrorCode.logOutOfOrder]: 1 });
    expect(log.anomalySummary()[ErrorCode.logOutOfOrder].examples).toEqual([5]);
  });

  it("hands out events synchronously up to a time and says when it must read further", async () => {
    const log = new TimeOrderedLog([event(1, 1), event(2, 2), event(3, 3), event(4, 4)], { reorderWindow: 0, lookahead: 2 });
    const seen: number[] = [];
    expect(log.deliverUntil(10, (item) => seen.push(item.line))).toBe(false); // nothing read yet
    await log.refill();
    expect(log.heldEvents).toBe(2);
    expect(log.deliverUntil(1, (item) => seen.push(item.line))).toBe(true);
    expect(log.deliverUntil(10, (item) => seen.push(item.line))).toBe(false);
    await log.deliverThrough(3, (item) => seen.push(item.line));
    expect(seen).toEqual([1, 2, 3]);
    await log.refill();
    expect(log.deliverUntil(10, (item) => seen.push(item.line))).toBe(true);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(log.finished).toBe(true);
  });
});

/** Records what the analyzers see: log lines and packet times, in order. */
class OrderRecorder implements MessageAnalyzer<string[]> {
  readonly name = "order";
  readonly seen: string[] = [];
  onPacket(packet: PacketObservation): void {
    this.seen.push(`p${packet.tUs - T0}`);
  }
  onMessage(): void {}
  onLogEvent(item: LogEvent): void {
    this.seen.push(`l${item.line}`);
  }
  finish(): string[] {
    return this.seen;
  }
}

describe("runCapturePipeline with a streamed server log (issue 19 item 4)", () => {
  const packetTimes = Array.from({ length: 60 }, (_, index) => index * 100 + (index === 30 ? 5000 : 0));
  const capture = writePcap(packetTimes.map((offset) => ({ tUs: T0 + offset, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, Uint8Array.of(offset & 255)) })));
  // log events around and between the packets, slightly out of order (within any window >= 2)
  const logTimes = Array.from({ length: 200 }, (_, index) => index * 40 - 300 + (index % 3 === 1 ? 45 : 0));
  const logEvents = logTimes.map((offset, index) => event(T0 + offset, index + 1));
  const pieces = (size: number) => Array.from({ length: Math.ceil(capture.length / size) }, (_, index) => Buffer.from(capture.subarray(index * size, index * size + size)));

  it("merges exactly as the in-memory sort did, whatever the read-ahead and capture chunking", async () => {
    const reference = new OrderRecorder();
    await runCapturePipeline({ sources: [capture], serverPorts: [7777], analyzers: [reference], logEvents });
    expect(reference.seen.filter((item) => item.startsWith("l"))).toHaveLength(200);
    for (const lookahead of [1, 3, 50, 10_000]) {
      for (const size of [64, 500, capture.length]) {
        const recorder = new OrderRecorder();
        const result = await runCapturePipeline({
          sources: [Readable.from(pieces(size))],
          serverPorts: [7777],
          analyzers: [recorder],
          logStream: slowly(logEvents),
          logMerge: { reorderWindow: 8, lookahead },
        });
        expect(recorder.seen).toEqual(reference.seen);
        expect(result.logEvents).toBe(200);
        expect(result.logAnomalies).toEqual({});
      }
    }
  });

  it("delivers a log with no capture, and a log without events", async () => {
    const recorder = new OrderRecorder();
    const result = await runCapturePipeline({ sources: [], analyzers: [recorder], logStream: slowly(logEvents.slice(0, 5)) });
    expect(recorder.seen).toEqual(["l1", "l3", "l2", "l4", "l5"]); // line 2 is 5 µs later than line 3
    expect(result.logEvents).toBe(5);
    const empty = await runCapturePipeline({ sources: [capture], serverPorts: [7777], analyzers: [new OrderRecorder()], logStream: slowly([]) });
    expect(empty.datagrams).toBe(60);
    expect(empty.logEvents).toBe(0);
  });

  it("streams a large generated log through the pipeline with bounded heap (measured after GC)", async () => {
    setFlagsFromString("--expose-gc");
    const collect = runInNewContext("gc") as () => void;
    const lineCount = 400_000;
    const spanUs = 60_000_000;
    async function* lines(): AsyncGenerator<string> {
      let batch = "";
      for (let index = 0; index < lineCount; index++) {
        // ~1% of lines a few events out of order, as a multi-threaded server writes them
        const jitter = index % 97 === 0 ? -3 * (spanUs / lineCount) : 0;
        batch += `{"tUs":${T0 + Math.round((index * spanUs) / lineCount + jitter)},"type":"tick","tick":${index},"frameMs":${(index % 17) + 0.5},"region":"eu-west"}\n`;
        if (batch.length > 64 * 1024) {
          yield batch;
          batch = "";
        }
      }
      yield batch;
    }
    const frames = Array.from({ length: 2000 }, (_, index) => ({ tUs: T0 + index * (spanUs / 2000), data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, Uint8Array.of(1)) }));
    const bigCapture = writePcap(frames);
    const capturePieces = Array.from({ length: 40 }, (_, index) => Buffer.from(bigCapture.subarray((index * bigCapture.length) / 40, ((index + 1) * bigCapture.length) / 40)));
    collect();
    const baseline = process.memoryUsage().heapUsed;
    let peakGrowth = 0;
    let received = 0;
    let previousUs = Number.NEGATIVE_INFINITY;
    let backwards = 0;
    const counter: MessageAnalyzer<void> = {
      name: "counter",
      onMessage: () => {},
      onLogEvent: (item) => {
        received += 1;
        if (item.tUs < previousUs) backwards += 1;
        previousUs = item.tUs;
        if (received % 100_000 === 0) {
          collect();
          peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseline);
        }
      },
      finish: () => {},
    };
    const log = openServerLog(Readable.from(lines()), { format: "ndjson", timeField: "tUs", timeUnit: "us", typeField: "type", regionField: "region" });
    const result = await runCapturePipeline({ sources: [Readable.from(capturePieces)], serverPorts: [7777], analyzers: [counter], logStream: log });
    expect(received).toBe(lineCount);
    expect(result.logEvents).toBe(lineCount);
    expect(result.datagrams).toBe(2000);
    expect(backwards).toBe(0);
    expect(result.logAnomalies).toEqual({});
    expect(log.summary()).toMatchObject({ lines: lineCount, events: lineCount, anomalies: {} });
    // Keeping every event (the old way) retains ~300 bytes each: ~120 MB here. Streamed, the
    // reorder window and read-ahead hold 12,288 events at most.
    console.log(`streamed server log: ${lineCount} lines, peak retained heap growth ${(peakGrowth / 1048576).toFixed(1)} MB`);
    expect(peakGrowth).toBeLessThan(24 * 1024 * 1024);
  }, 60_000);
});
