/**
 * The store's side of an experiment. The SDK assigns the device and applies the settings it owns,
 * such as the ranker. What the SDK cannot apply is up to the page, and here that is the popularity
 * control: a device in the `popularityControl` variant of config.json gets the trending list in the
 * "Recommended for you" row, as the store did before Aisle.
 */
import type { ExperimentsView } from '../../src/client/index.js';
import type { DemoConfig } from './config.js';

/** Source of the row's items. */
export type RowSource = 'recommend' | 'trending';

/** Returns the row source of this device: 'trending' in the popularity control, else 'recommend'. */
export function rowSource(config: DemoConfig, view: ExperimentsView): RowSource {
  const control = config.popularityControl;
  if (!control) return 'recommend';
  const inControl = view.assignments.some((entry) => entry.experiment === control.experiment && entry.variant === control.variant);
  return inControl ? 'trending' : 'recommend';
}
