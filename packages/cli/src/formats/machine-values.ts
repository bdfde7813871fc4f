/**
 * Values of the machine outputs (`--format json`, `ndjson`, `--json`, OTLP
 * evidence) as their schemas promise them:
 *
 * - every number under a key ending in `Us` — a capture time (µs since the
 *   epoch) or a duration in µs — is a whole number of µs. Captures with
 *   nanosecond timestamps give fractional µs inside the analyses (kept there:
 *   sub-µs differences add up in sums and rates); a report's reader gets
 *   `1767225611409918`, not `1767225611409917.8`. No `…Us` report field is
 *   intentionally fractional: the sub-µs digits of a float64 epoch near 1.7e15
 *   are below its own resolution (0.25 µs) anyway.
 * - every packet reference also names the Wireshark frame number (1-based):
 *   `packetIndices` (0-based, kept for compatibility) gets `frameNumbers`
 *   beside it, `packetIndex` gets `frameNumber`, and so do names ending in
 *   them (`gapPacketIndices` → `gapFrameNumbers`,
 *   `firstDuplicatePacketIndex` → `firstDuplicateFrameNumber`; a negative
 *   index, "none", gets none).
 *
 * Returns a copy; the input is not changed. Byte arrays, bigints and other
 * non-plain values are kept as they are (the serializer handles them).
 */
export function reportForMachines<T>(value: T): T {
  return convert(value, "") as T;
}

function convert(value: unknown, key: string): unknown {
  if (typeof value === "number") return key.endsWith("Us") && Number.isFinite(value) ? Math.round(value) : value;
  if (Array.isArray(value)) return value.map((item) => convert(item, key));
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    result[name] = convert(item, name);
    const frameName = frameKey(name);
    if (frameName === undefined || frameName in value) continue;
    if (Array.isArray(item)) result[frameName] = item.map((index) => (typeof index === "number" && index >= 0 ? index + 1 : index));
    else if (typeof item === "number" && item >= 0) result[frameName] = item + 1;
  }
  return result;
}

/** `packetIndices` → `frameNumbers`, `gapPacketIndices` → `gapFrameNumbers`, `…PacketIndex` → `…FrameNumber`; undefined for other keys. */
function frameKey(name: string): string | undefined {
  if (name === "packetIndices") return "frameNumbers";
  if (name === "packetIndex") return "frameNumber";
  if (name.endsWith("PacketIndices")) return `${name.slice(0, -"PacketIndices".length)}FrameNumbers`;
  if (name.endsWith("PacketIndex")) return `${name.slice(0, -"PacketIndex".length)}FrameNumber`;
  return undefined;
}
