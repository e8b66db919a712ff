/**
 * The part of the experiments that only a device in an experiment runs: the checks of the
 * definitions of GET /v1/experiments, the variant of each (core/experiments.ts) and the outcome
 * attribution (attribution.ts). experiments.ts loads this module when the companion lists
 * experiments, or when the device keeps lists exposed on an earlier page.
 */
import { assignVariant, parseExperiments } from '../core/experiments.js';
import type { Degraded } from '../core/types.js';
import type { ExperimentAssignment } from './experiments.js';

export { OutcomeAttribution } from './attribution.js';

/**
 * Checks the definitions `raw` and returns this device's variant of each experiment. A variant for
 * another model set version than the `served` one is marked degraded. `deviceId` is called only
 * once the definitions are valid, so invalid ones create no device id. Throws
 * AISLE_INVALID_ARGUMENT for invalid definitions.
 */
export function assignExperiments(raw: unknown, deviceId: () => string, served: string | undefined): ExperimentAssignment[] {
  const experiments = parseExperiments(raw, 'GET /v1/experiments');
  const id = deviceId();
  return experiments.map((experiment) => {
    const variant = assignVariant(experiment, id);
    const assignment: ExperimentAssignment = { experiment: experiment.name, variant: variant.name, changes: variant.changes };
    const requested = variant.changes.modelVersion;
    if (requested !== undefined && requested !== served) assignment.degraded = modelVersionUnavailable(experiment.name, variant.name, requested, served);
    return assignment;
  });
}

function modelVersionUnavailable(experiment: string, variant: string, requested: string, served: string | undefined): Degraded {
  const serves = served === undefined ? 'does not state the model set version it serves' : `serves model set version ${JSON.stringify(served)}`;
  return {
    code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
    reason: `Variant ${variant} of experiment ${experiment} asks for model set version ${JSON.stringify(requested)}, but the companion ${serves}. This device takes no part in the experiment. Serve that model set or remove modelVersion from the variant.`,
  };
}
