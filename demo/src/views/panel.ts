/** The small Aisle status panel: engine info, the last call's latency and the "Forget me" button. */
import { formatMs, h, replaceChildren } from '../dom.js';
import type { ExperimentAssignment } from '../../../src/client/index.js';
import type { CallRecord, EngineInfo, EngineStats } from '../engine.js';
import { StatsChart } from './stats-chart.js';

/** Rows of the panel: label, text, and whether the value is a problem. */
function infoRows(info: EngineInfo): Array<[label: string, text: string, bad: boolean]> {
  const backend = info.backend ?? 'none (no model loaded)';
  const timing = info.backend ? info.backendTimings?.[info.backend] : undefined;
  const storage = info.storage?.mode ?? 'unknown';
  const degraded = info.degraded ?? [];
  return [
    ['Backend', timing === undefined ? backend : `${backend} (${formatMs(timing)} per run)`, !info.backend],
    ['Model', info.models?.version ? `${info.models.version}${info.models.dim ? `, dim ${info.models.dim}` : ''}` : 'not loaded', !info.models],
    ['Storage', info.storage?.fallbackReason ? `${storage}: ${info.storage.fallbackReason}` : storage, storage !== 'indexeddb'],
    ['Degraded', degraded.length === 0 ? 'no' : degraded.map((entry) => `${entry.reason} (${entry.code})`).join('; '), degraded.length > 0],
  ];
}

/** The status panel element and its update methods. */
export class AislePanel {
  readonly element: HTMLElement;
  private readonly infoList = h('dl', { class: 'panel-info' });
  private readonly lastCall = h('p', { class: 'panel-call', data: { testid: 'last-call' }, text: 'No call yet.' });
  private readonly chart = new StatsChart();
  private readonly experiments = h('p', { class: 'panel-call', data: { testid: 'experiments' } });

  constructor(onForget: () => void) {
    this.experiments.hidden = true;
    const forget = h('button', { class: 'panel-forget', text: 'Forget me', data: { testid: 'forget-button' }, on: { click: onForget } });
    this.element = h(
      'aside',
      { class: 'panel', data: { testid: 'aisle-panel' }, attrs: { 'aria-label': 'Aisle engine status' } },
      h('div', { class: 'panel-inner' }, h('span', { class: 'panel-title', text: 'Aisle engine' }), this.infoList, this.experiments, this.lastCall, this.chart.element, forget),
    );
  }

  /** Shows the fields of info(), or the reason the engine did not start. */
  showInfo(info: EngineInfo | null, startFailure?: { reason: string; code: string }): void {
    if (!info) {
      const reason = startFailure ? `${startFailure.reason} (${startFailure.code})` : 'unavailable';
      replaceChildren(this.infoList, field('Engine', `not running: ${reason}`, true));
      this.element.dataset.state = 'degraded';
      return;
    }
    this.element.dataset.state = info.degraded && info.degraded.length > 0 ? 'degraded' : 'ok';
    replaceChildren(this.infoList, ...infoRows(info).map(([label, text, bad]) => field(label, text, bad)));
  }

  /**
   * Shows the device's experiment variants. `data-assignments` carries them as JSON
   * ([{ experiment, variant }]) for tests and the experiment driver.
   */
  showExperiments(assignments: readonly ExperimentAssignment[]): void {
    this.experiments.hidden = assignments.length === 0;
    this.experiments.textContent = `Experiments: ${assignments.map((entry) => `${entry.experiment} → ${entry.variant}`).join(', ')}`;
    this.experiments.dataset.assignments = JSON.stringify(assignments.map(({ experiment, variant }) => ({ experiment, variant })));
  }

  /** Adds a stats() sample to the latency plot. */
  showStats(stats: EngineStats | null): void {
    if (stats) this.chart.push(stats);
  }

  /** Shows the name and timing of the last SDK call. */
  showCall(record: CallRecord): void {
    const parts = [`${record.name}()`, `worker ${formatMs(record.tookMs)}`, `round trip ${formatMs(record.roundTripMs)}`];
    this.lastCall.textContent = `Last call: ${parts.join(' · ')}`;
    this.lastCall.classList.toggle('bad', record.degraded !== undefined);
    if (record.degraded) this.lastCall.title = `${record.degraded.code}: ${record.degraded.reason}`;
    else this.lastCall.removeAttribute('title');
  }
}

/** Builds one label and value pair of the panel. */
function field(label: string, text: string, bad: boolean): HTMLElement {
  return h('div', { class: 'panel-field', data: { field: label.toLowerCase() } }, h('dt', { text: label }), h('dd', { class: bad ? 'bad' : 'good', text }));
}
