/**
 * The bucket of a value in {@link LogHistogram}'s logarithmic grid
 * (`1 + floor(ln(value) / ln(1.02))`, 0 below 1, clamped to the last bucket),
 * found without a logarithm on the hot path: the value's binary exponent and
 * top 8 mantissa bits pick a cell of a table, whose entry is the bucket at the
 * cell's lower end; one or two comparisons with the exact bucket thresholds
 * (the smallest double of each bucket, found once with the formula itself)
 * finish it. Same result as the formula for every double (the formula is
 * monotone), several times faster.
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

let thresholds: Float64Array | undefined;
let cellStart: Uint16Array | undefined;

/** Builds the thresholds (bucket i begins at thresholds[i]) and the cell table. */
function build(): void {
  const bounds = new Float64Array(BUCKET_COUNT + 1);
  bounds[0] = Number.NEGATIVE_INFINITY;
  bounds[1] = 1;
  for (let index = 2; index < BUCKET_COUNT; index++) {
    // Near GROWTH^(index − 1); step by single doubles to the first one the formula puts in the bucket.
    let candidate = Math.max(Math.exp((index - 1) * LOG_GROWTH), bounds[index - 1]!);
    if (bucketIndexByFormula(candidate) >= index) {
      while (candidate > bounds[index - 1]! && bucketIndexByFormula(nextDown(candidate)) >= index) candidate = nextDown(candidate);
    } else {
      while (bucketIndexByFormula(candidate) < index) candidate = nextUp(candidate);
    }
    bounds[index] = candidate;
  }
  bounds[BUCKET_COUNT] = Number.POSITIVE_INFINITY;
  const cells = new Uint16Array(OCTAVES << CELL_BITS);
  let bucket = 1;
  for (let cell = 0; cell < cells.length; cell++) {
    const lowerEnd = 2 ** (cell >> CELL_BITS) * (1 + (cell & ((1 << CELL_BITS) - 1)) / (1 << CELL_BITS));
    while (lowerEnd >= bounds[bucket + 1]!) bucket += 1;
    cells[cell] = bucket;
  }
  thresholds = bounds;
  cellStart = cells;
}

/** The bucket of a non-negative value (or NaN: bucket 0), as {@link bucketIndexByFormula}. */
export function bucketIndex(value: number): number {
  if (!(value >= 1)) return 0;
  if (cellStart === undefined) {
    if (!littleEndian) return bucketIndexByFormula(value);
    build();
  }
  scratch[0] = value;
  // Exponent and top mantissa bits of the double, from 1.0 (0x3ff00000 in the high word).
  const cell = (scratchWords[1]! - 0x3ff00000) >>> (20 - CELL_BITS);
  if (cell >= cellStart!.length) return bucketIndexByFormula(value);
  let bucket = cellStart![cell]!;
  const bounds = thresholds!;
  while (value >= bounds[bucket + 1]!) bucket += 1;
  return bucket;
}
