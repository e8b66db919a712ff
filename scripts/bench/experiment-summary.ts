/**
 * Statistics of the simulated-shopper experiment bench (scripts/bench/experiment.ts): the
 * confidence interval of the relative lift of a rate, the one-sentence verdicts on CTR and
 * conversion, and a test with the shopper as the unit.
 */
import { normalCdf, Z_95 } from '../../src/core/experiment-stats.js';
import type { ReportRow } from '../../src/cli/report.js';

/** Relative lift of a treatment rate over a control rate, with its confidence interval. */
export interface LiftInterval {
  lift: number;
  low: number;
  high: number;
}

/**
 * Returns the relative lift p1 / p0 - 1 and its Katz log interval:
 * exp(log(p1 / p0) ± z · sqrt((1 - p1) / s1 + (1 - p0) / s0)) - 1, where s are the successes.
 * Returns null when a variant has no trials or no successes, because the log ratio is then undefined.
 */
export function liftInterval(treatmentSuccesses: number, treatmentTrials: number, controlSuccesses: number, controlTrials: number, z = Z_95): LiftInterval | null {
  if (treatmentSuccesses <= 0 || controlSuccesses <= 0 || treatmentTrials <= 0 || controlTrials <= 0) return null;
  const treatmentRate = treatmentSuccesses / treatmentTrials;
  const controlRate = controlSuccesses / controlTrials;
  const logRatio = Math.log(treatmentRate / controlRate);
  const standardError = Math.sqrt((1 - treatmentRate) / treatmentSuccesses + (1 - controlRate) / controlSuccesses);
  return { lift: Math.exp(logRatio) - 1, low: Math.exp(logRatio - z * standardError) - 1, high: Math.exp(logRatio + z * standardError) - 1 };
}

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${percent(value)}`;

/**
 * Returns the verdict on the CTR of `treatment` against `control` (rows of `buildReport`), such as
 * "personalized vs popular: CTR 31.2% vs 20.0%, lift +56.0% [95% CI +40.1%, +73.7%], p < 0.0001,
 * significant at alpha = 0.05." `treatmentClicks` and `controlClicks` are the exposures with a click.
 */
export function describeVerdict(control: ReportRow, controlClicks: number, treatment: ReportRow, treatmentClicks: number, alpha: number): string {
  return describeRateVerdict('ctr', control, controlClicks, treatment, treatmentClicks, alpha);
}

/**
 * Returns the verdict on one rate of `treatment` against `control`: 'ctr' (exposures with a
 * click) or 'conversion' (exposures with a purchase), in the form of describeVerdict.
 * `treatmentSuccesses` and `controlSuccesses` are the exposures counted in that rate.
 */
export function describeRateVerdict(rate: 'ctr' | 'conversion', control: ReportRow, controlSuccesses: number, treatment: ReportRow, treatmentSuccesses: number, alpha: number): string {
  const label = rate === 'ctr' ? 'CTR' : 'conversion';
  const head = `${treatment.variant} vs ${control.variant}: ${label} ${percent(treatment[rate].interval.rate)} vs ${percent(control[rate].interval.rate)}`;
  // With device buckets, the counts shrink by their design effect, so the interval follows the
  // variance between buckets as the report's intervals do.
  const treatmentEffect = treatment[rate].designEffect ?? 1;
  const controlEffect = control[rate].designEffect ?? 1;
  const interval = liftInterval(treatmentSuccesses / treatmentEffect, treatment.exposures / treatmentEffect, controlSuccesses / controlEffect, control.exposures / controlEffect);
  const lift = interval === null ? 'lift n/a' : `lift ${signed(interval.lift)} [95% CI ${signed(interval.low)}, ${signed(interval.high)}]`;
  const comparison = treatment[rate];
  if (comparison.pValue === null) return `${head}, ${lift}, no test (a variant has no exposures or no variance).`;
  const verdict = comparison.significant ? 'significant' : 'not significant';
  const pValue = comparison.pValue < 0.0001 ? 'p < 0.0001' : `p = ${comparison.pValue.toFixed(4)}`;
  return `${head}, ${lift}, ${pValue}, ${verdict} at alpha = ${alpha}.`;
}

/** Difference of mean per-shopper CTR between two groups of shoppers, with its test. */
export interface ShopperLevelTest {
  /** Mean of the treatment group minus mean of the control group. */
  difference: number;
  /** Half-width of the 95% interval of the difference. */
  halfWidth: number;
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Compares the mean per-shopper CTR of two groups with Welch's unequal-variance statistic. A
 * shopper is the unit here, finer than the device bucket of `aisle report`, because the
 * views of one shopper are correlated. The p-value uses the normal distribution in place of
 * Student's t, which is close for the hundreds of shoppers per group of the bench but too small
 * for small groups. Returns null when a group has fewer than 2 shoppers or both have no variance.
 */
export function shopperLevelTest(treatment: readonly number[], control: readonly number[]): ShopperLevelTest | null {
  if (treatment.length < 2 || control.length < 2) return null;
  const mean = (values: readonly number[]) => values.reduce((sum, x) => sum + x, 0) / values.length;
  const variance = (values: readonly number[], center: number) => values.reduce((sum, x) => sum + (x - center) ** 2, 0) / (values.length - 1);

  const treatmentMean = mean(treatment);
  const controlMean = mean(control);
  const standardError = Math.sqrt(variance(treatment, treatmentMean) / treatment.length + variance(control, controlMean) / control.length);
  if (standardError === 0) return null;

  const difference = treatmentMean - controlMean;
  const z = difference / standardError;
  return { difference, halfWidth: Z_95 * standardError, z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}
