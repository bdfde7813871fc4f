import { TickscopeError, type ErrorCodeValue } from "@tickscope/core";

/**
 * An error as it crosses from a worker thread to the main thread (structured
 * clone keeps neither the class nor the stable code of a {@link TickscopeError}).
 */
export interface SerializedError {
  /** `TickscopeError` for tickscope errors, else the error's own name. */
  name: string;
  /** The message, verbatim. */
  message: string;
  /** Stable code (`E_…`) of a tickscope error, or a Node system error's code (`ENOENT`). */
  code?: string;
  /** Whether it was a {@link TickscopeError}. */
  tickscope: boolean;
  /** A tickscope error's hint. */
  hint?: string;
  /** A tickscope error's byte offset. */
  offset?: number;
  /** A tickscope error's field path. */
  fieldPath?: string;
  /** A tickscope error's packet index. */
  packetIndex?: number;
  /** A Node system error's call (`open`, `read`). */
  syscall?: string;
  /** A Node system error's path. */
  path?: string;
  /** The worker's stack, shown with `--verbose`. */
  stack?: string;
}

/** Turns anything thrown in a worker into plain data the main thread can rebuild. */
export function serializeError(error: unknown): SerializedError {
  if (TickscopeError.isInstance(error)) {
    return {
      name: "TickscopeError",
      tickscope: true,
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.offset === undefined ? {} : { offset: error.offset }),
      ...(error.fieldPath === undefined ? {} : { fieldPath: error.fieldPath }),
      ...(error.packetIndex === undefined ? {} : { packetIndex: error.packetIndex }),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  if (typeof error !== "object" || error === null) return { name: "Error", tickscope: false, message: String(error) };
  const candidate = error as Partial<NodeJS.ErrnoException>;
  return {
    name: typeof candidate.name === "string" ? candidate.name : "Error",
    tickscope: false,
    message: typeof candidate.message === "string" ? candidate.message : String(error),
    ...(typeof candidate.code === "string" ? { code: candidate.code } : {}),
    ...(typeof candidate.syscall === "string" ? { syscall: candidate.syscall } : {}),
    ...(typeof candidate.path === "string" ? { path: candidate.path } : {}),
    ...(typeof candidate.stack === "string" ? { stack: candidate.stack } : {}),
  };
}

/**
 * Rebuilds a worker's error on the main thread: a tickscope error keeps its
 * stable code, hint and position (so the CLI prints the same line and exits with
 * the same code as when the error happens in-thread); a Node system error keeps
 * `code`, `syscall` and `path`.
 */
export function deserializeError(serialized: SerializedError): Error {
  if (serialized.tickscope && serialized.code !== undefined) {
    const error = new TickscopeError(serialized.code as ErrorCodeValue, serialized.message, {
      hint: serialized.hint,
      offset: serialized.offset,
      fieldPath: serialized.fieldPath,
      packetIndex: serialized.packetIndex,
    });
    if (serialized.stack !== undefined) error.stack = serialized.stack;
    return error;
  }
  const error = new Error(serialized.message) as NodeJS.ErrnoException;
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  if (serialized.syscall !== undefined) error.syscall = serialized.syscall;
  if (serialized.path !== undefined) error.path = serialized.path;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
