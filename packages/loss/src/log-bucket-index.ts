/**
 * The bucket of a value in {@link LogHistogram}'s logarithmic grid
 * (`1 + floor(ln(value) / ln(1.02))`, 0 below 1, clamped to the last bucket),
 * found without a logarithm on the hot path: the value's binary exponent and
 * top 8 mantissa bits pick a cell of a table, whose entry is the bucket at the
 * cell's lower end and whether a bucket boundary falls inside the cell. Only
 * then (about one cell in seven) one or two comparisons with the exact bucket
 * thresholds (the smallest double of each bucket, found with the formula
 * itself the first time a value needs it) finish it: most values read one
 * table line, not two. Same result as the formula for every double (the
 * formula is monotone), several times faster.
 */

/** Relative width of a bucket. */
export const BUCKET_GROWTH = 1.02;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);
/** Buckets of the grid (bucket 0: values below 1). */
export const BUCKET_COUNT = 1400;
/** Mantissa bits of a table cell (cells are 1/256 of an octave, narrower than a bucket). */
const CELL_BITS = 8;
/** Octaves the table covers from 1 (beyond: the formula, always the last bucket). */
const OCTAVES = 41;

/** The bucket by the formula. */
export function bucketIndexByFormula(value: number): number {
  if (value < 1) return 0;
  const index = 1 + Math.floor(Math.log(value) / LOG_GROWTH);
  return index >= BUCKET_COUNT ? BUCKET_COUNT - 1 : index;
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The next double above a positive finite value. */
function nextUp(value: number): number {
  scratch[0] = value;
  const low = (scratchWords[0]! + 1) >>> 0;
  scratchWords[0] = low;
  if (low === 0) scratchWords[1] = scratchWords[1]! + 1;
  return scratch[0]!;
}

/** The next double below a positive finite value. */
function nextDown(value: number): number {
  scratch[0] = value;
  const low = scratchWords[0]!;
  if (low === 0) scratchWords[1] = scratchWords[1]! - 1;
  scratchWords[0] = (low - 1) >>> 0;
  return scratch[0]!;
}

/** Smallest double of each bucket (NaN until needed; bucket 1 begins at 1, the end sentinel is +∞). */
let thresholds: Float64Array | undefined;
/**
 * Per cell, the bucket at its lower end times two, plus {@link CELL_STRADDLES}
 * when a bucket boundary falls inside the cell (0 until needed: no cell of
 * values ≥ 1 is in bucket 0).
 */
let cellStart: Uint16Array | undefined;

/** The smallest double the formula puts in bucket `index` (2 ≤ index < BUCKET_COUNT): near GROWTH^(index − 1), then single doubles. */
function threshold(index: number): number {
  let candidate = Math.exp((index - 1) * LOG_GROWTH);
  if (bucketIndexByFormula(candidate) >= index) {
    while (bucketIndexByFormula(nextDown(candidate)) >= index) candidate = nextDown(candidate);
  } else {
    while (bucketIndexByFormula(candidate) < index) candidate = nextUp(candidate);
  }
  return candidate;
}

/** Flag of a cell entry: a bucket boundary falls inside the cell (its values need the threshold comparisons). */
const CELL_STRADDLES = 1;

/** The threshold of bucket `index` (`thresholds` filled first), computed the first time it is needed. */
function thresholdOf(index: number): number {
  const bounds = thresholds!;
  let next = bounds[index]!;
  if (next !== next) {
    next = threshold(index);
    bounds[index] = next;
  }
  return next;
}

/**
 * The table entry of `cell`: its lower end's bucket (by the formula) times
 * two, and whether the next bucket's threshold lies below the cell's upper end
 * (the lower end of the next cell; every double of the cell is below it).
 */
function cellEntry(cell: number): number {
  const octave = 2 ** (cell >> CELL_BITS);
  const step = cell & ((1 << CELL_BITS) - 1);
  const bucket = bucketIndexByFormula(octave * (1 + step / (1 << CELL_BITS)));
  const upper = octave * (1 + (step + 1) / (1 << CELL_BITS));
  return bucket * 2 + (bucket + 1 < BUCKET_COUNT && thresholdOf(bucket + 1) < upper ? CELL_STRADDLES : 0);
}

/** The bucket of a non-negative value (or NaN: bucket 0), as {@link bucketIndexByFormula}; table entries are filled as values need them. */
export function bucketIndex(value: number): number {
  if (!(value >= 1)) return 0;
  if (cellStart === undefined) {
    if (!littleEndian) return bucketIndexByFormula(value);
    cellStart = new Uint16Array(OCTAVES << CELL_BITS);
    thresholds = new Float64Array(BUCKET_COUNT + 1).fill(Number.NaN);
    thresholds[1] = 1;
    thresholds[BUCKET_COUNT] = Number.POSITIVE_INFINITY;
  }
  scratch[0] = value;
  // Exponent and top mantissa bits of the double, from 1.0 (0x3ff00000 in the high word).
  const cell = (scratchWords[1]! - 0x3ff00000) >>> (20 - CELL_BITS);
  const cells = cellStart;
  if (cell >= cells.length) return bucketIndexByFormula(value);
  let entry = cells[cell]!;
  if (entry === 0) entry = cells[cell] = cellEntry(cell);
  // A cell within one bucket needs no threshold (most cells: a bucket spans ~7 of them).
  if ((entry & CELL_STRADDLES) === 0) return entry >> 1;
  let bucket = entry >> 1;
  while (!(value < thresholdOf(bucket + 1))) bucket += 1;
  return bucket;
}
