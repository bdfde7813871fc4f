import { readFile, stat } from "node:fs/promises";
import { ErrorCode, TickscopeError, type ReportInput } from "@tickscope/core";
import {
  compileProtocol,
  parseKeyFile,
  parseProtocolDefinition,
  validateProtocolDefinition,
  type CompiledProtocol,
  type ProtocolDefinition,
} from "@tickscope/core/protocol";
import type { ByteSource } from "@tickscope/capture";

/** Reads a text file, turning file-system errors into a clear `E_IO`. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new TickscopeError(ErrorCode.io, `cannot read ${what} '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: "check the path and permissions",
      cause: error,
    });
  }
}

/** A loaded protocol definition, compiled. */
export interface LoadedProtocol {
  definition: ProtocolDefinition;
  protocol: CompiledProtocol;
}

/** Reads, validates and compiles a protocol definition file, with an optional key file. */
export async function loadProtocol(definitionPath: string, keysPath?: string): Promise<LoadedProtocol> {
  const definition = parseProtocolDefinition(await readTextFile(definitionPath, "protocol definition"));
  const keys = keysPath === undefined ? undefined : parseKeyFile(await readTextFile(keysPath, "key file"));
  return { definition, protocol: compileProtocol(definition, { keys }) };
}

/** Validates and compiles a definition given as an object (e.g. the simulator's embedded arena definition). */
export function loadProtocolObject(definition: unknown): LoadedProtocol {
  const validated = validateProtocolDefinition(definition);
  return { definition: validated, protocol: compileProtocol(validated) };
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
