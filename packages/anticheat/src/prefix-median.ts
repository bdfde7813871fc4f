/**
 * Medians of the first `count` values of a Float64Array scratch buffer without
 * allocation: by insertion sort, by selection (the same value, fewer moves), and
 * the median absolute deviation of a sorted buffer by an outward merge.
 */

/** Sorts the first `count` values of `values` in place (insertion sort: ≤ 32 values, no allocation). */
export function sortPrefix(values: Float64Array, count: number): void {
  for (let index = 1; index < count; index++) {
    const value = values[index]!;
    let position = index - 1;
    while (position >= 0 && values[position]! > value) {
      values[position + 1] = values[position]!;
      position -= 1;
    }
    values[position + 1] = value;
  }
}

/** Median of the first `count` values of a sorted buffer (NaN when empty). */
export function medianOfSortedPrefix(values: Float64Array, count: number): number {
  if (count === 0) return Number.NaN;
  const middle = count >> 1;
  return count % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/**
 * True when a value would make a selection or a merge differ from the sort: NaN compares false,
 * −0 equals +0 but keeps its sign, an infinite median makes NaN deviations.
 */
export function unordered(value: number): boolean {
  return value - value !== 0 || (value === 0 && 1 / value < 0);
}

/**
 * Moves the `k`-th smallest of the first `count` values to index `k`, the ones
 * before it no larger and the ones after no smaller (Hoare's selection with a
 * median-of-three pivot; no NaN or −0 among the values, see {@link unordered}).
 */
function selectPrefix(values: Float64Array, count: number, k: number): void {
  let low = 0;
  let high = count - 1;
  while (high > low) {
    const middle = (low + high) >> 1;
    if (values[middle]! < values[low]!) swap(values, middle, low);
    if (values[high]! < values[middle]!) {
      swap(values, high, middle);
      if (values[middle]! < values[low]!) swap(values, middle, low);
    }
    const pivot = values[middle]!;
    let left = low;
    let right = high;
    while (left <= right) {
      while (values[left]! < pivot) left += 1;
      while (values[right]! > pivot) right -= 1;
      if (left <= right) {
        swap(values, left, right);
        left += 1;
        right -= 1;
      }
    }
    if (k <= right) high = right;
    else if (k >= left) low = left;
    else return;
  }
}

function swap(values: Float64Array, a: number, b: number): void {
  const value = values[a]!;
  values[a] = values[b]!;
  values[b] = value;
}

/**
 * Median of the first `count` values (rearranged): a selection, the same value
 * as {@link medianOfSortedPrefix} after {@link sortPrefix} — which it falls back to
 * when a value is NaN or −0 (`ordered`: the caller checked there is none).
 */
export function medianOfPrefix(values: Float64Array, count: number, ordered: boolean): number {
  if (!ordered || count < 3) {
    sortPrefix(values, count);
    return medianOfSortedPrefix(values, count);
  }
  const middle = count >> 1;
  selectPrefix(values, count, middle);
  if (count % 2 === 1) return values[middle]!;
  // The value just below the middle: the largest of the lower part.
  let below = values[0]!;
  for (let index = 1; index < middle; index++) if (values[index]! > below) below = values[index]!;
  return (below + values[middle]!) / 2;
}

/**
 * Median of the absolute deviations from `median` of a sorted buffer's first
 * `count` values (the median among them): the deviations below and above the
 * median are each already in order, so they merge outwards from it — the same
 * value as sorting the deviations.
 */
export function deviationMedianOfSorted(values: Float64Array, count: number, median: number): number {
  // First index whose value is above the median: deviations grow leftwards from above − 1 and rightwards from above.
  let above = count >> 1;
  while (above > 0 && values[above - 1]! > median) above -= 1;
  while (above < count && !(values[above]! > median)) above += 1;
  let left = above - 1;
  let right = above;
  const middle = count >> 1;
  let previous = 0;
  let current = 0;
  for (let taken = 0; taken <= middle; taken++) {
    previous = current;
    const leftDeviation = left >= 0 ? Math.abs(values[left]! - median) : Number.POSITIVE_INFINITY;
    const rightDeviation = right < count ? Math.abs(values[right]! - median) : Number.POSITIVE_INFINITY;
    if (leftDeviation <= rightDeviation) {
      current = leftDeviation;
      left -= 1;
    } else {
      current = rightDeviation;
      right += 1;
    }
  }
  return count % 2 === 1 ? current : (previous + current) / 2;
}
