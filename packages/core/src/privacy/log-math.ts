// Log-space arithmetic for the accountant: its terms span hundreds of orders of magnitude (exp((k²−k)/2σ²) for large
// orders), so every sum is done on logarithms.

/** log(e^a + e^b) without overflow. */
export function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(e^a − e^b) for a ≥ b (−∞ when equal). */
export function logSub(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a < b) throw new RangeError(`logSub: the result would be negative (log ${a} < log ${b})`);
  if (a === b) return Number.NEGATIVE_INFINITY;
  // log(e^a − e^b) = a + log(1 − e^(b−a)); expm1 keeps it exact when b is close to a.
  return a + Math.log(-Math.expm1(b - a));
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/**
 * log(erfc(x)) for any real x, to about 1e-14 relative: the Maclaurin series of erf below |x| = 2.5, the continued
 * fraction of erfc above (where 1 − erf would lose every digit), and erfc(−x) = 2 − erfc(x) for negative x.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 2.5) return Math.log(1 - erfSeries(x));
  return -x * x - LOG_SQRT_PI + Math.log(erfcContinuedFraction(x));
}

/** erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)), summed until the terms stop mattering. */
function erfSeries(x: number): number {
  let term = x; // (−1)ⁿ x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * √π e^(x²) erfc(x) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + …)))), evaluated with the modified Lentz method;
 * for x ≥ 2.5 it converges in a few dozen terms.
 */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}
