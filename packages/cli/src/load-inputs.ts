import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { ErrorCode, TickscopeError, type ReportInput } from "@tickscope/core";
import {
  compileProtocol,
  parseKeyFile,
  parseProtocolDefinition,
  validateProtocolDefinition,
  type CompiledProtocol,
  type CompileProtocolOptions,
  type ProtocolDefinition,
} from "@tickscope/core/protocol";
import type { ByteSource } from "@tickscope/capture";
import type { ProtocolInference } from "@tickscope/infer";

/** The `E_IO` of a file that could not be read. */
function readError(path: string, what: string, error: unknown): TickscopeError {
  return new TickscopeError(ErrorCode.io, `cannot read ${what} '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
    hint: "check the path and permissions",
    cause: error,
  });
}

/** Reads a text file, turning file-system errors into a clear `E_IO`. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw readError(path, what, error);
  }
}

/** {@link readTextFile}, synchronously (for a file read again where no promise can wait, e.g. a key file inside a decoder). */
export function readTextFileSync(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw readError(path, what, error);
  }
}

/** How a pass decodes: which fields, and whether entity roles and message objects are reused (see `CompileProtocolOptions`). */
export type ProtocolDecoding = Pick<CompileProtocolOptions, "fields" | "entityRoles" | "messages">;

/** A loaded protocol definition, compiled. */
export interface LoadedProtocol {
  definition: ProtocolDefinition;
  protocol: CompiledProtocol;
  /** Set when the definition was inferred (`--protocol auto`). */
  inference?: ProtocolInference;
}

/** The captures `--protocol auto` infers the definition from. */
export interface AutoProtocolInputs {
  /** Capture paths (`-` is stdin, which cannot be read twice: refused). */
  captures: readonly string[];
  /** Server ports (`--server-port`). */
  serverPorts?: readonly number[];
}

/**
 * Reads, validates and compiles a protocol definition file, with an optional key file.
 * `auto` infers the definition from `auto.captures` instead (`@tickscope/infer`):
 * an `E_INVALID_OPTION` error when there are none, stdin, or nothing was found.
 * `decoding`: what messages' fields decode into and whether entity roles are reused (see
 * `CompileProtocolOptions.fields` and `entityRoles`).
 */
export async function loadProtocol(definitionPath: string, keysPath?: string, auto?: AutoProtocolInputs, decoding: ProtocolDecoding = {}): Promise<LoadedProtocol> {
  if (definitionPath === "auto") return loadInferredProtocol(auto, decoding);
  const definition = parseProtocolDefinition(await readTextFile(definitionPath, "protocol definition"));
  const keys = keysPath === undefined ? undefined : parseKeyFile(await readTextFile(keysPath, "key file"));
  return { definition, protocol: compileProtocol(definition, { ...decoding, keys }) };
}

/**
 * Validates and compiles a definition given as an object (e.g. the simulator's
 * embedded arena definition). `decoding`: as for {@link loadProtocol}.
 */
export function loadProtocolObject(definition: unknown, decoding: ProtocolDecoding = {}): LoadedProtocol {
  const validated = validateProtocolDefinition(definition);
  return { definition: validated, protocol: compileProtocol(validated, decoding) };
}

/** Maps a capture argument to a byte source: `-` is stdin. */
export function captureSource(argument: string): ByteSource {
  return argument === "-" ? process.stdin : argument;
}

/** Describes a capture input for the report envelope (size when it is a file). */
export async function describeInput(kind: string, path: string): Promise<ReportInput> {
  if (path === "-") return { kind, name: "-" };
  try {
    return { kind, name: path, bytes: (await stat(path)).size };
  } catch {
    return { kind, name: path };
  }
}

async function loadInferredProtocol(auto: AutoProtocolInputs | undefined, decoding: ProtocolDecoding): Promise<LoadedProtocol> {
  if (auto === undefined || auto.captures.length === 0 || auto.captures.includes("-")) {
    throw new TickscopeError(ErrorCode.invalidOption, "--protocol auto infers the definition from the capture files being analyzed (tickscope analyze <capture...>; stdin cannot be read twice)", {
      hint: "run `tickscope protocol infer <capture> --out draft.json` and pass --protocol draft.json",
    });
  }
  const { inferFromCaptures } = await import("./infer-captures.js");
  const inference = await inferFromCaptures(auto.captures, { serverPorts: auto.serverPorts });
  if (!inference.found || inference.definition === undefined) {
    throw new TickscopeError(ErrorCode.invalidOption, `--protocol auto: no header field could be inferred (${inference.notes.join("; ")})`, {
      hint: "run `tickscope protocol infer` to see the evidence, or give a definition",
    });
  }
  const definition = { ...inference.definition, description: `inferred by --protocol auto: ${inference.fields.map((field) => `${field.role} @${field.offset}`).join(", ")}` };
  return { definition, protocol: compileProtocol(definition, decoding), inference };
}
