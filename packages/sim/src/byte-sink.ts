import { closeSync, openSync, writeSync } from "node:fs";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/**
 * Where writers put bytes. `write` receives a view that is reused after the
 * call returns: a sink that keeps bytes must copy them.
 */
export interface ByteSink {
  /** Consumes `chunk` synchronously (copy it to keep it). */
  write(chunk: Uint8Array): void;
  /** Flushes and releases the sink. */
  close(): void;
}

/** A sink that collects everything in memory (for small runs and tests). */
export class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** Copies `chunk` into the collected bytes. */
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.length += chunk.length;
  }

  /** No-op (memory needs no closing). */
  close(): void {}

  /** Total bytes written so far. */
  get byteLength(): number {
    return this.length;
  }

  /** All bytes written so far, as one array. */
  toUint8Array(): Uint8Array {
    const result = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      result.set(chunk, offset);
      offset += chunk.length;
    }
    return result;
  }

  /** All bytes written so far, decoded as UTF-8 text. */
  toText(): string {
    return new TextDecoder().decode(this.toUint8Array());
  }
}

/** A sink writing synchronously to a file (constant memory). Throws `E_IO` on failure. */
export class FileSink implements ByteSink {
  private fileDescriptor: number | undefined;
  /** The file path. */
  readonly path: string;

  /** Creates (truncates) the file at `path`. */
  constructor(path: string) {
    this.path = path;
    try {
      this.fileDescriptor = openSync(path, "w");
    } catch (cause) {
      throw new TickscopeError(ErrorCode.io, `cannot create ${path}`, { cause });
    }
  }

  /** Writes `chunk` fully to the file. */
  write(chunk: Uint8Array): void {
    if (this.fileDescriptor === undefined) throw new TickscopeError(ErrorCode.io, `${this.path} is closed`);
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fileDescriptor, chunk, offset, chunk.length - offset);
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.fileDescriptor !== undefined) closeSync(this.fileDescriptor);
    this.fileDescriptor = undefined;
  }
}

/**
 * Line-oriented UTF-8 text output over a {@link ByteSink}, buffered in chunks
 * so that millions of NDJSON lines cost constant memory.
 */
export class TextSink {
  private readonly sink: ByteSink;
  private readonly encoder = new TextEncoder();
  private parts: string[] = [];
  private pendingLength = 0;
  private readonly flushCharacters: number;

  /** Wraps `sink`; text is flushed every `flushCharacters` characters. */
  constructor(sink: ByteSink, flushCharacters = 1 << 16) {
    this.sink = sink;
    this.flushCharacters = flushCharacters;
  }

  /** Appends text. */
  write(text: string): void {
    this.parts.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= this.flushCharacters) this.flush();
  }

  /** Writes buffered text to the sink. */
  flush(): void {
    if (this.parts.length === 0) return;
    this.sink.write(this.encoder.encode(this.parts.join("")));
    this.parts = [];
    this.pendingLength = 0;
  }

  /** Flushes and closes the underlying sink. */
  close(): void {
    this.flush();
    this.sink.close();
  }
}
