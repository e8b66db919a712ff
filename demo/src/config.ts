/**
 * Demo configuration: the companion URL comes from the `?companion=` query parameter, else from
 * the `config.json` next to the page (served by `npm start` and by the browser tests' static
 * server), else the default port of `aisle serve` on this machine.
 */

export interface DemoConfig {
  /** Base URL of the companion service, without a trailing slash. */
  endpoint: string;
  /** URL of manifest.json when the models are not served by the companion (the SDK's `models` option). */
  models?: string;
  /** Name of the dataset the models were trained on, shown in the header. */
  dataset?: string;
  /**
   * The experiment variant whose "Recommended for you" row shows the trending list, which is what
   * the store shows without Aisle. Devices in other variants, or in no experiment, get recommend().
   */
  popularityControl?: PopularityControl;
}

/** An experiment and the name of its popularity-control variant. */
export interface PopularityControl {
  experiment: string;
  variant: string;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/** Loads the demo configuration, falling back to the defaults when config.json is missing or unreadable (normal for a static build). */
export async function loadConfig(): Promise<DemoConfig> {
  const fromQuery = new URLSearchParams(location.search).get('companion');
  let fromFile: Partial<DemoConfig> = {};
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    if (response.ok) fromFile = (await response.json()) as Partial<DemoConfig>;
  } catch {
    // No config.json: a static host without one uses the query parameter or the default.
  }
  const endpoint = (fromQuery ?? fromFile.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  return { endpoint, models: fromFile.models, dataset: fromFile.dataset, popularityControl: parsePopularityControl(fromFile.popularityControl) };
}

// A malformed entry is ignored, so a typo in config.json leaves the store personalized rather than broken.
function parsePopularityControl(raw: unknown): PopularityControl | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { experiment, variant } = raw as Record<string, unknown>;
  return typeof experiment === 'string' && typeof variant === 'string' ? { experiment, variant } : undefined;
}
