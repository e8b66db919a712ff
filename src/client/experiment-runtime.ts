/**
 * The part of the experiments that only a device in an experiment runs: the checks of the
 * definitions of GET /v1/experiments, the variant of each (core/experiments.ts), the model set
 * and the call defaults those variants pick, the exposures of the lists (list-exposures.ts) and
 * the outcome attribution (attribution.ts). experiments.ts loads this module when the companion
 * lists experiments, or when the device keeps lists exposed on an earlier page. It runs before the
 * worker starts, because the variant picks the worker's models.
 */
import { assignVariant, parseExperiments } from '../core/experiments.js';
import type { Degraded, FusionWeights, SearchFusion } from '../core/types.js';
import type { ExperimentAssignment, ExperimentsBody, ModelSetChoice } from './experiments.js';

export { OutcomeAttribution } from './attribution.js';
export { ListExposures } from './list-exposures.js';

/**
 * Checks the definitions of `body` and returns this device's variant of each experiment, with the
 * model set of the page. A variant applies only when the companion serves its modelVersion and the
 * page runs that set: `fixed` is the set an earlier load fixed, else the first variant that
 * requests a served set picks it. The other variants are marked degraded. `deviceId` is called
 * only once the definitions are valid, so invalid ones create no device id. Throws
 * AISLE_INVALID_ARGUMENT for invalid definitions.
 */
export function assignExperiments(body: ExperimentsBody, deviceId: () => string, fixed: ModelSetChoice | undefined): { assigned: ExperimentAssignment[]; modelSet: ModelSetChoice } {
  const experiments = parseExperiments(body.experiments, 'GET /v1/experiments');
  const served = typeof body.modelVersion === 'string' ? body.modelVersion : undefined;
  const versions = servedVersions(body, served);
  const id = deviceId();
  let choice = fixed;
  const assigned = experiments.map((experiment) => {
    const variant = assignVariant(experiment, id);
    const assignment: ExperimentAssignment = { experiment: experiment.name, variant: variant.name, changes: variant.changes };
    const requested = variant.changes.modelVersion;
    if (requested === undefined) return assignment;
    if (!versions.includes(requested)) {
      assignment.degraded = modelVersionUnavailable(experiment.name, variant.name, requested, versions);
      return assignment;
    }

    const version = requested === served ? null : requested;
    choice ??= { version, experiment: experiment.name };
    if (choice.version !== version) assignment.degraded = otherModelSet(experiment.name, variant.name, requested, choice.version ?? served ?? '', fixed === undefined ? choice.experiment : undefined);
    return assignment;
  });
  return { assigned, modelSet: choice ?? { version: null } };
}

/** Returns the recommend() settings of the variants in `applied`. The last variant that sets each one wins. */
export function recommendDefaults(applied: readonly ExperimentAssignment[]): { ranker?: boolean; liveWeight?: number } {
  const defaults: { ranker?: boolean; liveWeight?: number } = {};
  for (const { changes } of applied) {
    if (changes.ranker !== undefined) defaults.ranker = changes.ranker;
    if (changes.liveWeight !== undefined) defaults.liveWeight = changes.liveWeight;
  }
  return defaults;
}

/**
 * Returns the search() fusion of the variants in `applied` as the POST /v1/search fields, or an
 * empty object when no variant changes it. The last variant that sets it wins.
 */
export function searchDefaults(applied: readonly ExperimentAssignment[]): { fusion?: SearchFusion; weights?: FusionWeights } {
  let defaults: { fusion?: SearchFusion; weights?: FusionWeights } = {};
  for (const { changes } of applied) {
    const fusion = changes.fusion;
    if (!fusion) continue;
    defaults = { fusion: fusion.method };
    if (fusion.bm25 !== undefined && fusion.vector !== undefined) defaults.weights = { bm25: fusion.bm25, vector: fusion.vector };
  }
  return defaults;
}

// The default version first, then the extra sets; a companion before model sets states only its default.
function servedVersions(body: ExperimentsBody, served: string | undefined): string[] {
  const extra = Array.isArray(body.modelVersions) ? body.modelVersions.filter((version): version is string => typeof version === 'string' && version !== served) : [];
  return served === undefined ? extra : [served, ...extra];
}

function modelVersionUnavailable(experiment: string, variant: string, requested: string, served: readonly string[]): Degraded {
  let serves = 'does not state the model set version it serves';
  if (served.length === 1) serves = `serves model set version ${JSON.stringify(served[0])}`;
  else if (served.length > 1) serves = `serves model set versions ${served.map((version) => JSON.stringify(version)).join(', ')}`;
  return {
    code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
    reason: `Variant ${variant} of experiment ${experiment} asks for model set version ${JSON.stringify(requested)}, but the companion ${serves}. This device takes no part in the experiment. Serve that model set or remove modelVersion from the variant.`,
  };
}

// `chooser` is the experiment whose variant picked the page's set in the same load. Without it the
// set was fixed when the page started, before a forget() reassigned the device.
function otherModelSet(experiment: string, variant: string, requested: string, running: string, chooser: string | undefined): Degraded {
  const asks = `Variant ${variant} of experiment ${experiment} asks for model set version ${JSON.stringify(requested)}`;
  const reason = chooser === undefined
    ? `${asks}, but this page started on model set version ${JSON.stringify(running)}, and a page runs one model set. This device takes part in the experiment from the next page load.`
    : `${asks}, but the variant of experiment ${chooser} on this device requests model set version ${JSON.stringify(running)}, and a page runs one model set. This device takes no part in experiment ${experiment}. Give the variants of experiments that run together the same modelVersion, or none.`;
  return { code: 'AISLE_MODEL_VERSION_UNAVAILABLE', reason };
}
