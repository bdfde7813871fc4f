/**
 * Statistical helpers for cause ranking: how surprising an observation is
 * under the session's own background, as `surprise = −log10(p)`.
 */

/** log10 of the upper tail P(Z ≥ z) of a standard normal (accurate to ~1e-7 relative, no underflow). */
export function normalUpperTailLog10(z: number): number {
  // erfc(x) = t·exp(−x² − 1.26551223 + t·(…)) (Numerical Recipes erfcc), P(Z ≥ z) = erfc(z/√2)/2.
  const x = z / Math.SQRT2;
  const absolute = Math.abs(x);
  const t = 1 / (1 + 0.5 * absolute);
  const exponent =
    -absolute * absolute -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const logErfcAbs = Math.log(t) + exponent;
  if (x >= 0) return (logErfcAbs - Math.LN2) / Math.LN10;
  // erfc(−a) = 2 − erfc(a)
  return Math.log10((2 - Math.exp(logErfcAbs)) / 2);
}

/** log10 of the upper tail P(X ≥ k) of a Poisson(λ) variable. */
export function poissonUpperTailLog10(observed: number, expected: number): number {
  if (observed <= 0) return 0;
  const lambda = Math.max(expected, 1e-9);
  if (observed <= lambda) return Math.log10(Math.max(1e-300, 1 - poissonCdfBelow(observed, lambda)));
  // Sum terms from k upwards in log space.
  let logTerm = observed * Math.log(lambda) - lambda - logFactorial(observed);
  let total = 0;
  const base = logTerm;
  for (let k = observed; k < observed + 200; k++) {
    total += Math.exp(logTerm - base);
    logTerm += Math.log(lambda) - Math.log(k + 1);
    if (logTerm - base < -40) break;
  }
  return Math.min(0, (base + Math.log(total)) / Math.LN10);
}

function poissonCdfBelow(observed: number, lambda: number): number {
  let term = Math.exp(-lambda);
  let sum = 0;
  for (let k = 0; k < observed; k++) {
    sum += term;
    term *= lambda / (k + 1);
  }
  return sum;
}

function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 30) {
    let sum = 0;
    for (let k = 2; k <= n; k++) sum += Math.log(k);
    return sum;
  }
  // Stirling with two correction terms.
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n * n * n);
}

/** Turns a surprise (−log10 p) into a score in [0, 1): 3 (p = 0.001) → 0.5, 27 → 0.9. */
export function surpriseToScore(surprise: number): number {
  const positive = Math.max(0, surprise);
  return positive / (positive + 3);
}
