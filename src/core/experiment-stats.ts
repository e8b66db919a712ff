/**
 * Statistics of A/B test reports: Wilson score intervals for a rate, relative lift, the two-sided
 * two-proportion z test, and a test that takes a bucket of devices as the unit. Pure functions
 * over counts, shared by `aisle report` and its HTML page.
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
 * The test treats each trial (exposure) as independent. One device's exposures are correlated,
 * so with many exposures per device its p-value is too small. `aisle report` uses it only for
 * variants whose exposures carry no device bucket (bucketRate).
 */
export function twoProportionZTest(treatmentSuccesses: number, treatmentTrials: number, controlSuccesses: number, controlTrials: number): ZTest | null {
  if (treatmentTrials === 0 || controlTrials === 0) return null;
  const pooled = (treatmentSuccesses + controlSuccesses) / (treatmentTrials + controlTrials);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / treatmentTrials + 1 / controlTrials));
  if (standardError === 0) return null;
  const z = (treatmentSuccesses / treatmentTrials - controlSuccesses / controlTrials) / standardError;
  return { z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/**
 * Returns the natural logarithm of the gamma function for x > 0, by the Lanczos approximation with
 * g = 7 and 9 coefficients (relative error about 1e-15), and the reflection formula below 0.5.
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * Returns the regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. It
 * evaluates the continued fraction by the modified Lentz method, on the side of x where it
 * converges fast.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;

  // Lentz's method for 1 / (1 + d1 / (1 + d2 / (1 + ...))), with d(2m+1) and d(2m) as below.
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
  let fraction = d;
  for (let m = 1; m <= 300; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = 1 + even / c;
    if (Math.abs(c) < tiny) c = tiny;
    fraction *= d * c;

    const odd = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = 1 + odd / c;
    if (Math.abs(c) < tiny) c = tiny;
    const step = d * c;
    fraction *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return front * fraction;
}

/** Returns the two-sided p-value of Student's t statistic `t` with `df` degrees of freedom (df > 0, not necessarily whole). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5));
}

/** A rate with the variance of its estimate when devices, not exposures, are independent. */
export interface BucketRate {
  /** Successes over trials, over all trials. */
  rate: number;
  trials: number;
  /** Variance of `rate`: the binomial variance times `designEffect`. */
  variance: number;
  /**
   * Variance between device buckets over the binomial variance of independent trials, at least 1.
   * 4 means the trials carry as much information as a quarter as many independent ones.
   */
  designEffect: number;
  /** Buckets with at least one trial. */
  buckets: number;
}

/**
 * Returns a variant's rate and its variance with the device bucket as the unit. Every device sends
 * all its exposures with one bucket, so buckets are independent where one device's exposures are
 * not. The bucket-level variance of the ratio estimator (delta method, with the small-sample
 * factor G / (G − 1) for G non-empty buckets) gives the design effect over the bucketed trials.
 * That design effect then scales the binomial variance of all `trials`, bucketed or not.
 * Returns null with fewer than 2 non-empty buckets, where no variance between buckets exists.
 */
export function bucketRate(successes: number, trials: number, bucketSuccesses: readonly number[], bucketTrials: readonly number[]): BucketRate | null {
  let bucketed = 0;
  let bucketedSuccesses = 0;
  let buckets = 0;
  for (let b = 0; b < bucketTrials.length; b++) {
    bucketed += bucketTrials[b];
    bucketedSuccesses += bucketSuccesses[b];
    if (bucketTrials[b] > 0) buckets += 1;
  }
  if (buckets < 2 || trials === 0) return null;

  const bucketedRate = bucketedSuccesses / bucketed;
  let squares = 0;
  for (let b = 0; b < bucketTrials.length; b++) squares += (bucketSuccesses[b] - bucketedRate * bucketTrials[b]) ** 2;
  const between = (buckets / (buckets - 1)) * squares / (bucketed * bucketed);
  const binomialBucketed = (bucketedRate * (1 - bucketedRate)) / bucketed;
  const designEffect = binomialBucketed > 0 ? Math.max(1, between / binomialBucketed) : 1;
  const rate = successes / trials;
  return { rate, trials, variance: (designEffect * rate * (1 - rate)) / trials, designEffect, buckets };
}

/** Result of Welch's t test on two bucket rates. */
export interface BucketTest {
  /** (rate_treatment − rate_control) / √(variance_treatment + variance_control). */
  t: number;
  /** Welch–Satterthwaite degrees of freedom, from the buckets of each side. */
  df: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Runs Welch's two-sided t test on the difference of two bucket rates, with the degrees of freedom
 * of Welch and Satterthwaite, each side having its buckets − 1. Returns null when both variances
 * are 0.
 */
export function bucketTest(treatment: BucketRate, control: BucketRate): BucketTest | null {
  const variance = treatment.variance + control.variance;
  if (variance === 0) return null;
  const t = (treatment.rate - control.rate) / Math.sqrt(variance);
  const df = variance ** 2 / (treatment.variance ** 2 / (treatment.buckets - 1) + control.variance ** 2 / (control.buckets - 1));
  return { t, df, pValue: studentTwoSidedP(t, df) };
}

/**
 * Returns the Wilson interval of a bucket rate, computed for the effective number of trials
 * trials / designEffect, so its width follows the bucket-level variance.
 */
export function bucketWilsonInterval(rate: BucketRate, z = Z_95): RateInterval {
  const effective = rate.trials / rate.designEffect;
  const interval = wilsonInterval(rate.rate * effective, effective, z);
  return { ...interval, rate: rate.rate };
}
