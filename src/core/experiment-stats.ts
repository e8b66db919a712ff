/**
 * Statistics of A/B test reports: Wilson score intervals for a rate, relative lift, and the
 * two-sided two-proportion z test. Pure functions over counts, shared by `aisle report` and its
 * HTML page.
 */

/** z of a two-sided 95 % interval: the 0.975 quantile of the standard normal distribution. */
export const Z_95 = 1.959963984540054;

/** A rate with its confidence interval. */
export interface RateInterval {
  rate: number;
  low: number;
  high: number;
}

/**
 * Returns the Wilson score interval of `successes` out of `trials` at the given z. Unlike the
 * normal approximation p ± z·√(p(1−p)/n), it stays inside [0, 1] and is not empty at 0 or n
 * successes. 0 trials give the whole range [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): RateInterval {
  if (trials === 0) return { rate: 0, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { rate: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Returns the lift of `treatment` over `control` as a fraction (0.1 is +10 %), or null when control is 0. */
export function relativeLift(treatment: number, control: number): number | null {
  return control === 0 ? null : treatment / control - 1;
}

/**
 * Returns the standard normal cumulative distribution function at x. It uses the complementary
 * error function approximation 7.1.26 of Abramowitz and Stegun, whose absolute error is below
 * 1.5e-7.
 */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Result of a two-proportion z test. */
export interface ZTest {
  /** (p_treatment − p_control) / standard error of the pooled rate. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Runs the two-sided two-proportion z test with a pooled rate. Returns null when either group has
 * no trials, or when the pooled rate is 0 or 1, because the standard error is then 0.
 *
 * NOTE: the test treats each trial (exposure) as independent. One device's exposures are
 * correlated, so with many exposures per device the p-value is too small. The companion has no
 * device ids to cluster on. A hashed bucket of the device id per experiment would allow a
 * cluster-robust standard error without sending the id.
 */
export function twoProportionZTest(treatmentSuccesses: number, treatmentTrials: number, controlSuccesses: number, controlTrials: number): ZTest | null {
  if (treatmentTrials === 0 || controlTrials === 0) return null;
  const pooled = (treatmentSuccesses + controlSuccesses) / (treatmentTrials + controlTrials);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / treatmentTrials + 1 / controlTrials));
  if (standardError === 0) return null;
  const z = (treatmentSuccesses / treatmentTrials - controlSuccesses / controlTrials) / standardError;
  return { z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}
