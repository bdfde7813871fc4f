/** Cells of one slot: [block + 1 (0: empty), messages, leaf values]. */
const CELLS_PER_SLOT = 3;

/** Slots of {@link createSharedBlockCounts} by default: a day and more of one-second blocks of distinct seconds. */
export const DEFAULT_SHARED_BLOCK_SLOTS = 8192;

/**
 * A zeroed table of per-block counts (messages, leaf values of the retained
 * trace) for the threads of one session-cut run to share (see
 * `BandwidthOptions.sharedBlockCounts`): an `Int32Array` over a
 * `SharedArrayBuffer` of `slots` × 3 cells, which `postMessage` hands to
 * another thread without copying. 8192 slots: 96 KiB.
 */
export function createSharedBlockCounts(slots = DEFAULT_SHARED_BLOCK_SLOTS): Int32Array {
  if (!Number.isSafeInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
  return new Int32Array(new SharedArrayBuffer(slots * CELLS_PER_SLOT * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * Adds one thread's messages and leaf values of `block` to the shared table
 * (atomically; open addressing by the block number). A block that is no
 * 31-bit non-negative integer, or a full table, is not counted: every reader
 * takes the table as a lower bound of the counts, so a count left out only
 * makes it keep more.
 */
export function addSharedBlockCounts(table: Int32Array, block: number, messages: number, leaves: number): void {
  if (messages === 0 && leaves === 0) return;
  if (!Number.isInteger(block) || block < 0 || block >= 0x7fff_ffff) return;
  const slots = Math.floor(table.length / CELLS_PER_SLOT);
  const key = block + 1;
  for (let probe = 0, slot = block % slots; probe < slots; probe++, slot = slot + 1 === slots ? 0 : slot + 1) {
    const at = slot * CELLS_PER_SLOT;
    const held = Atomics.compareExchange(table, at, 0, key);
    if (held === 0 || held === key) {
      // counts saturate instead of wrapping (a lower bound stays one)
      if (messages > 0) Atomics.add(table, at + 1, Math.min(messages, 0x7fff_ffff - Atomics.load(table, at + 1)));
      if (leaves > 0) Atomics.add(table, at + 2, Math.min(leaves, 0x7fff_ffff - Atomics.load(table, at + 2)));
      return;
    }
  }
}

/**
 * The lowest block hash at which the blocks counted in the table, taken in
 * ascending hash order, exceed `maxMessages` or `maxLeafValues` (2^32 when
 * they never do). The counts are lower bounds of the whole run's, so the
 * run's retained sample (every block below the hash where its own counts
 * exceed the bounds; that block itself when it alone is over them) holds no
 * block whose hash is above the returned one.
 */
export function sharedSampleBound(table: Int32Array, hashOf: (block: number) => number, maxMessages: number, maxLeafValues: number): number {
  const slots = Math.floor(table.length / CELLS_PER_SLOT);
  const entries: { hash: number; messages: number; leaves: number }[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const at = slot * CELLS_PER_SLOT;
    const key = Atomics.load(table, at);
    if (key === 0) continue;
    entries.push({ hash: hashOf(key - 1), messages: Atomics.load(table, at + 1), leaves: Atomics.load(table, at + 2) });
  }
  entries.sort((left, right) => left.hash - right.hash);
  let messages = 0;
  let leaves = 0;
  for (let index = 0; index < entries.length; ) {
    // blocks of one hash (a collision) count together
    const hash = entries[index]!.hash;
    for (; index < entries.length && entries[index]!.hash === hash; index++) {
      messages += entries[index]!.messages;
      leaves += entries[index]!.leaves;
    }
    if (messages > maxMessages || leaves > maxLeafValues) return hash;
  }
  return 2 ** 32;
}
