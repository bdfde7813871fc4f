import { ErrorCode, TickscopeError } from "@tickscope/core";

/** Throws a {@link TickscopeError} with code `E_INVALID_OPTION` naming the offending option path. */
export function invalidOption(path: string, message: string): never {
  throw new TickscopeError(ErrorCode.invalidOption, `${path}: ${message}`, { fieldPath: path });
}

/** Validates that `value` is a finite number within [minimum, maximum]; returns it. */
export function checkNumber(path: string, value: unknown, minimum: number, maximum: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) invalidOption(path, `expected a finite number, got ${JSON.stringify(value)}`);
  if (value < minimum || value > maximum) invalidOption(path, `must be within [${minimum}, ${maximum}], got ${value}`);
  return value;
}
