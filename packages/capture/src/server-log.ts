import { parse as parseCsv } from "csv-parse";
import { AnomalyCounter, ErrorCode, TickscopeError, type AnomalySummary, type LogEvent } from "@tickscope/core";
import { gzipAnomalyCode, openByteStream, sourceName, type ByteSource } from "./byte-source.js";

/** Unit of a log's time field. `iso` = ISO-8601 text (sub-millisecond digits kept). */
export type LogTimeUnit = "s" | "ms" | "us" | "ns" | "iso";

/** How the fields of a game-server log map to {@link LogEvent}s. */
export interface ServerLogMapping {
  /** `ndjson` or `csv` (with a header row). Default: detected (`{` first → NDJSON). */
  format?: "ndjson" | "csv";
  /** Field holding the event time. */
  timeField: string;
  /** Unit of the time field. */
  timeUnit: LogTimeUnit;
  /** Added to every log time to align the server clock with capture time (µs). Default 0. */
  clockOffsetUs?: number;
  /** Field holding the event type (e.g. `tick`, `gc_pause`, `rtt`). */
  typeField?: string;
  /** Type used when the type field is absent. Default `log`. */
  defaultType?: string;
  /** Field holding the session id. */
  sessionField?: string;
  /** Field holding the player id. */
  playerField?: string;
  /** Field holding the region label. */
  regionField?: string;
  /** Numeric fields to keep in `values` (e.g. `reportedRttMs`). Default: every other numeric field. */
  valueFields?: readonly string[];
  /** Text fields to keep in `labels`. Default: none. */
  labelFields?: readonly string[];
  /** CSV delimiter. Default `,`. */
  delimiter?: string;
}

/** Result of {@link readServerLog}. */
export interface ServerLogResult {
  /** Display name of the source. */
  file: string;
  /** Events in file order (the pipeline sorts them by time). `line` is the 1-based line (for CSV: where the record ends). */
  events: LogEvent[];
  /** Lines (NDJSON, blank lines excluded) or records (CSV) read. */
  lines: number;
  /** Anomaly counts (`E_BAD_LOG_LINE`), codes sorted. */
  anomalies: Record<string, number>;
  /** Anomalies with the first line numbers. */
  anomalyDetails: AnomalySummary;
}

/** Options of {@link readServerLog}. */
export interface ReadServerLogOptions {
  /** Receives each event as it is read; when given, `events` in the result stays empty (streaming). */
  onEvent?(event: LogEvent): void;
  /** Display name. */
  name?: string;
}

const unitToMicroseconds: Record<Exclude<LogTimeUnit, "iso">, number> = { s: 1e6, ms: 1e3, us: 1, ns: 1e-3 };

/** Converts a log time value to µs since the epoch, or undefined when it is not a valid time. */
export function logTimeToMicroseconds(value: unknown, unit: LogTimeUnit): number | undefined {
  if (unit === "iso") {
    if (typeof value !== "string") return undefined;
    const milliseconds = Date.parse(value);
    if (Number.isNaN(milliseconds)) return undefined;
    const fraction = /T[^.]*\.(\d+)/.exec(value);
    const subMillisecond = fraction !== null && fraction[1].length > 3 ? Number(`0.${fraction[1].slice(3)}`) * 1000 : 0;
    return milliseconds * 1000 + subMillisecond;
  }
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) return undefined;
  return number * unitToMicroseconds[unit];
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

function toText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" ? value : String(value);
}

/** Maps one parsed record to a {@link LogEvent}; undefined when it has no valid time. */
export function mapLogRecord(record: Record<string, unknown>, mapping: ServerLogMapping, line: number): LogEvent | undefined {
  const timeUs = logTimeToMicroseconds(record[mapping.timeField], mapping.timeUnit);
  if (timeUs === undefined) return undefined;
  const reserved = new Set([mapping.timeField, mapping.typeField, mapping.sessionField, mapping.playerField, mapping.regionField]);
  const values: Record<string, number> = {};
  if (mapping.valueFields !== undefined) {
    for (const field of mapping.valueFields) {
      const number = toNumber(record[field]);
      if (number !== undefined) values[field] = number;
    }
  } else {
    for (const field of Object.keys(record).sort()) {
      if (reserved.has(field)) continue;
      const value = record[field];
      if (typeof value === "number" && Number.isFinite(value)) values[field] = value;
      else if (typeof value === "string" && (mapping.labelFields === undefined || !mapping.labelFields.includes(field))) {
        const number = toNumber(value);
        if (number !== undefined) values[field] = number;
      }
    }
  }
  const labels: Record<string, string> = {};
  for (const field of mapping.labelFields ?? []) {
    const text = toText(record[field]);
    if (text !== undefined) labels[field] = text;
  }
  const event: LogEvent = {
    tUs: timeUs + (mapping.clockOffsetUs ?? 0),
    type: (mapping.typeField !== undefined ? toText(record[mapping.typeField]) : undefined) ?? mapping.defaultType ?? "log",
    values,
    labels,
    line,
  };
  const session = mapping.sessionField !== undefined ? toText(record[mapping.sessionField]) : undefined;
  const player = mapping.playerField !== undefined ? toText(record[mapping.playerField]) : undefined;
  const region = mapping.regionField !== undefined ? toText(record[mapping.regionField]) : undefined;
  if (session !== undefined) event.session = session;
  if (player !== undefined) event.player = player;
  if (region !== undefined) event.region = region;
  return event;
}

/** What was read from a server log so far (complete once its events are exhausted). */
export interface ServerLogSummary {
  /** Display name of the source. */
  file: string;
  /** Lines (NDJSON, blank lines excluded) or records (CSV) read. */
  lines: number;
  /** Events produced. */
  events: number;
  /** Anomaly counts (`E_BAD_LOG_LINE`, `E_TRUNCATED`, `E_GZIP_CORRUPT`), codes sorted. */
  anomalies: Record<string, number>;
  /** Anomalies with the first line numbers. */
  anomalyDetails: AnomalySummary;
}

/**
 * A server log read as a stream of {@link LogEvent}s in file order (iterate it
 * once); `summary()` tells what was read. Holds one chunk of the file at a
 * time, never the whole log.
 */
export interface ServerLogStream extends AsyncIterable<LogEvent> {
  /** Counts so far; complete after the iteration ended. */
  summary(): ServerLogSummary;
}

/** Longest NDJSON line kept (longer ones are counted as `E_BAD_LOG_LINE` and dropped: bounded memory). */
export const MAXIMUM_LOG_LINE_CHARACTERS = 16 * 1024 * 1024;

function checkMapping(mapping: ServerLogMapping): void {
  if (typeof mapping !== "object" || mapping === null || typeof mapping.timeField !== "string" || mapping.timeField === "") {
    throw new TickscopeError(ErrorCode.invalidOption, "server-log mapping needs a timeField");
  }
}

/**
 * Opens a game-server log (NDJSON or CSV with a header row; `.gz` accepted)
 * as a stream of {@link LogEvent}s aligned to capture time through the field
 * mapping, in file order, with bounded memory (`runCapturePipeline` merges it
 * in time order through a {@link TimeOrderedLog}). Lines that do not parse or
 * lack a valid time are counted as `E_BAD_LOG_LINE` (with their line
 * numbers) and skipped; a damaged gzip ends the log with `E_TRUNCATED` or
 * `E_GZIP_CORRUPT` after every line that decompressed.
 */
export function openServerLog(source: ByteSource, mapping: ServerLogMapping, options: { name?: string } = {}): ServerLogStream {
  checkMapping(mapping);
  const file = options.name ?? sourceName(source);
  const anomalies = new AnomalyCounter();
  const counts = { lines: 0, events: 0 };
  let started = false;
  return {
    summary: () => ({ file, lines: counts.lines, events: counts.events, anomalies: anomalies.toCounts(), anomalyDetails: anomalies.toSummary() }),
    [Symbol.asyncIterator]: () => {
      if (started) throw new TickscopeError(ErrorCode.invalidOption, `server log ${file} can be read only once`);
      started = true;
      return logEvents(source, mapping, anomalies, counts);
    },
  };
}

async function* logEvents(source: ByteSource, mapping: ServerLogMapping, anomalies: AnomalyCounter, counts: { lines: number; events: number }): AsyncGenerator<LogEvent> {
  const stream = await openByteStream(source);
  try {
    const iterator = stream.chunks[Symbol.asyncIterator]();
    const decoder = new TextDecoder("utf-8");
    let first = await iterator.next();
    const firstText = first.done === true ? "" : decoder.decode(first.value, { stream: true });
    const format = mapping.format ?? (firstText.trimStart().startsWith("{") ? "ndjson" : "csv");
    async function* texts(): AsyncGenerator<string> {
      if (firstText !== "") yield firstText;
      for (;;) {
        first = await iterator.next();
        if (first.done === true) break;
        yield decoder.decode(first.value, { stream: true });
      }
      const rest = decoder.decode();
      if (rest !== "") yield rest;
    }
    if (format === "ndjson") {
      let carry = "";
      let lineNumber = 0;
      const parseLine = (text: string): LogEvent | undefined => {
        lineNumber += 1;
        if (text.trim() === "") return undefined;
        counts.lines += 1;
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch {
          anomalies.add(ErrorCode.badLogLine, lineNumber);
          return undefined;
        }
        const event = typeof record === "object" && record !== null && !Array.isArray(record) ? mapLogRecord(record as Record<string, unknown>, mapping, lineNumber) : undefined;
        if (event === undefined) anomalies.add(ErrorCode.badLogLine, lineNumber);
        return event;
      };
      for await (const text of texts()) {
        carry += text;
        let newline = carry.indexOf("\n");
        let start = 0;
        while (newline >= 0) {
          const event = parseLine(carry.slice(start, newline));
          if (event !== undefined) {
            counts.events += 1;
            yield event;
          }
          start = newline + 1;
          newline = carry.indexOf("\n", start);
        }
        carry = carry.slice(start);
        if (carry.length > MAXIMUM_LOG_LINE_CHARACTERS) {
          // a "line" this long is not a log line: count it and drop it (bounded memory)
          lineNumber += 1;
          anomalies.add(ErrorCode.badLogLine, lineNumber);
          carry = "";
        }
      }
      if (carry !== "") {
        const event = parseLine(carry);
        if (event !== undefined) {
          counts.events += 1;
          yield event;
        }
      }
    } else {
      yield* csvEvents(texts(), mapping, anomalies, counts);
    }
    const gzipError = stream.gzipError();
    if (gzipError !== undefined) anomalies.add(gzipAnomalyCode(gzipError), counts.lines);
  } finally {
    await stream.close();
  }
}

async function* csvEvents(texts: AsyncGenerator<string>, mapping: ServerLogMapping, anomalies: AnomalyCounter, counts: { lines: number; events: number }): AsyncGenerator<LogEvent> {
  const parser = parseCsv({
    columns: true,
    delimiter: mapping.delimiter ?? ",",
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    trim: true,
    bom: true,
    info: true,
    max_record_size: 1 << 20, // bounded memory: a runaway quoted field is a bad record, not a heap
  });
  let lastLine = 1;
  parser.on("skip", (error: { lines?: number }) => {
    counts.lines += 1;
    anomalies.add(ErrorCode.badLogLine, error.lines ?? lastLine + 1);
  });
  let stopped = false;
  const feed = (async () => {
    try {
      for await (const text of texts) {
        if (stopped) break;
        if (!parser.write(text)) await new Promise<void>((resolve) => parser.once("drain", resolve));
      }
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
      counts.lines += 1;
      lastLine = item.info.lines;
      const event = mapLogRecord(item.record, mapping, lastLine);
      if (event === undefined) anomalies.add(ErrorCode.badLogLine, lastLine);
      else {
        counts.events += 1;
        yield event;
      }
    }
  } catch (error) {
    if (TickscopeError.isInstance(error)) throw error;
    // an unrecoverable CSV error ends the log: count it, keep what was read
    anomalies.add(ErrorCode.badLogLine, lastLine + 1);
  } finally {
    stopped = true;
    if (!parser.destroyed && !parser.writableEnded) parser.destroy();
  }
  await feed;
}

/**
 * Reads a game-server log (NDJSON or CSV with a header row; `.gz` accepted)
 * into {@link LogEvent}s aligned to capture time through the field mapping.
 * Lines that do not parse or lack a valid time are counted as
 * `E_BAD_LOG_LINE` (with their line numbers) and skipped. Streams the source;
 * without `onEvent` every event is kept in `events` (for long logs use
 * {@link openServerLog}, which keeps none).
 */
export async function readServerLog(source: ByteSource, mapping: ServerLogMapping, options: ReadServerLogOptions = {}): Promise<ServerLogResult> {
  const stream = openServerLog(source, mapping, { name: options.name });
  const events: LogEvent[] = [];
  for await (const event of stream) {
    if (options.onEvent !== undefined) options.onEvent(event);
    else events.push(event);
  }
  const summary = stream.summary();
  return { file: summary.file, events, lines: summary.lines, anomalies: summary.anomalies, anomalyDetails: summary.anomalyDetails };
}
