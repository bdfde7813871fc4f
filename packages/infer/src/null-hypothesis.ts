/**
 * How likely random bytes are to pass a test: every inferred field is scored
 * against that null hypothesis. A test counts `passes` of `trials` (pairs of
 * datagrams, bits, datagrams) where a field of random bytes would pass each
 * trial with probability `nullRate`.
 */

/** Kullback–Leibler divergence of Bernoulli(q) from Bernoulli(p), natural log. */
function bernoulliDivergence(q: number, p: number): number {
  const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
  return term(q, p) + term(1 - q, 1 - p);
}

/**
 * log10 of an upper bound of P(X ≥ passes) for X ~ Binomial(trials, nullRate)
 * (Chernoff–Hoeffding: exp(−n·KL(k/n ‖ p))); 0 (probability 1) when the
 * observed rate is not above the null rate.
 */
export function log10NullProbability(passes: number, trials: number, nullRate: number): number {
  if (trials <= 0) return 0;
  const observed = passes / trials;
  if (observed <= nullRate) return 0;
  const p = Math.min(Math.max(nullRate, 1e-300), 1 - 1e-15);
  if (observed >= 1) return (trials * Math.log(p)) / Math.LN10;
  return (-trials * bernoulliDivergence(observed, p)) / Math.LN10;
}

/** Evidence of one statistical test, as reports show it. */
export interface TestEvidence {
  /** What was tested, in words. */
  test: string;
  /** Trials (datagram pairs, datagrams or bits) the test was run on. */
  trials: number;
  /** Trials that passed. */
  passes: number;
  /** passes / trials. */
  support: number;
  /** Probability that random bytes pass one trial. */
  nullRate: number;
  /** log10 of the bound on the probability that random bytes pass this often (e.g. −40). */
  log10NullProbability: number;
}

/** Builds a {@link TestEvidence}. */
export function testEvidence(test: string, passes: number, trials: number, nullRate: number): TestEvidence {
  return {
    test,
    trials,
    passes,
    support: trials === 0 ? 0 : passes / trials,
    nullRate,
    log10NullProbability: Math.round(log10NullProbability(passes, trials, nullRate) * 10) / 10,
  };
}

/**
 * Largest null probability a field may have to be reported (10^−9): with a
 * few thousand candidate offsets × widths × byte orders × tests, random bytes
 * then pass one test anywhere with a probability below 10^−5.
 */
export const MAX_LOG10_NULL_PROBABILITY = -9;
