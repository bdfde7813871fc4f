import type { FieldValue } from "../game-message.js";
import type { Direction } from "../session.js";
import type { BitReader, BitWriter } from "./bits.js";

/** What a plugin knows about the datagram being decoded or encoded. */
export interface PluginContext {
  /** Session id (empty when encoding without a session). */
  sessionId: string;
  /** Direction of the datagram. */
  direction: Direction;
  /** Plugin options from the definition. */
  options: Record<string, unknown>;
}

/**
 * A field type the definition language cannot declare (Huffman-coded strings,
 * proprietary packing). `decode` reads from the reader (throw a `TickscopeError`
 * or any error on bad input: it becomes a counted anomaly); `encode` writes the
 * same value back.
 */
export interface FieldPlugin {
  decode(reader: BitReader, context: PluginContext): FieldValue;
  encode(writer: BitWriter, value: FieldValue, context: PluginContext): void;
}

/**
 * A byte-region transform the definition cannot declare (a proprietary cipher or
 * key schedule). `decode` returns the plain bytes (and whether they were
 * authenticated); `encode` is its inverse.
 */
export interface TransformPlugin {
  decode(bytes: Uint8Array, context: PluginContext): Uint8Array | { bytes: Uint8Array; authenticated: boolean };
  encode(bytes: Uint8Array, context: PluginContext): Uint8Array;
}

/** A named plugin: a field type, a transform, or both. Referenced by `name` from definitions. */
export interface ProtocolPlugin {
  name: string;
  field?: FieldPlugin;
  transform?: TransformPlugin;
}

const registry = new Map<string, ProtocolPlugin>();

/** Registers a plugin for every protocol compiled afterwards (per-compile `options.plugins` take precedence). */
export function registerProtocolPlugin(plugin: ProtocolPlugin): void {
  registry.set(plugin.name, plugin);
}

/** Removes a registered plugin (tests). */
export function unregisterProtocolPlugin(name: string): void {
  registry.delete(name);
}

/** Looks a plugin up: the given list first, then the registry. */
export function findProtocolPlugin(name: string, plugins: readonly ProtocolPlugin[] = []): ProtocolPlugin | undefined {
  return plugins.find((plugin) => plugin.name === name) ?? registry.get(name);
}
