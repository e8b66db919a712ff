/**
 * `aisle report` against hand-computed values (Python's statistics.NormalDist and SciPy), and end
 * to end against a real companion on 127.0.0.1.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildReport, formatReport, formatReportHtml, run } from '../../src/cli/report.js';
import { twoProportionZTest, wilsonInterval } from '../../src/core/experiment-stats.js';
import { DEVICE_BUCKETS } from '../../src/core/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import { buildCompanionFixture } from './helpers/companion-fixture.js';

const OUTCOMES: OutcomesResponse = {
  windowMs: 1_800_000,
  experiments: [
    {
      name: 'home-row',
      variants: [
        { name: 'popular', exposures: 1000, click: 40, add_to_cart: 20, purchase: 10 },
        { name: 'personal', exposures: 1000, click: 60, add_to_cart: 25, purchase: 12 },
      ],
    },
  ],
};

afterEach(() => vi.restoreAllMocks());

describe('buildReport', () => {
  it('compares each variant with the first', () => {
    const [control, treatment] = buildReport(OUTCOMES);
    expect(control.control).toBe(true);
    expect(control.ctr.lift).toBeNull();
    expect(control.ctr.pValue).toBeNull();
    expect(control.ctr.interval.low).toBeCloseTo(0.02951097368545276, 12);
    expect(control.ctr.interval.high).toBeCloseTo(0.05400964412125796, 12);

    expect(treatment.exposures).toBe(1000);
    expect(treatment.ctr.interval.rate).toBe(0.06);
    expect(treatment.ctr.interval.low).toBeCloseTo(0.04689647267593196, 12);
    expect(treatment.ctr.interval.high).toBeCloseTo(0.07647107479135655, 12);
    expect(treatment.ctr.lift).toBeCloseTo(0.5, 12);
    expect(treatment.ctr.z).toBeCloseTo(2.051956704170308, 12);
    expect(treatment.ctr.pValue).toBeCloseTo(0.04017387028851216, 6);
    expect(treatment.ctr.significant).toBe(true);

    expect(treatment.conversion.lift).toBeCloseTo(0.2, 12);
    expect(treatment.conversion.pValue).toBeCloseTo(0.6680934023170402, 6);
    expect(treatment.conversion.significant).toBe(false);
    expect(treatment.addToCart.rate).toBe(0.025);
  });

  it('marks only significant results', () => {
    const text = formatReport(buildReport(OUTCOMES), 0.05);
    const personal = text.split('\n').find((line) => line.includes('personal'));
    expect(personal).toContain('6.00% [4.69%, 7.65%] lift +50.00% p=0.0402 *');
    expect(personal).toContain('1.20% [0.69%, 2.09%] lift +20.00% p=0.6681');
    expect(personal).not.toContain('p=0.6681 *');
    expect(text).toContain('popular (control)');
  });
});

/** Spreads counts over the first buckets of a DEVICE_BUCKETS-long array. */
const spread = (counts: number[]): number[] => [...counts, ...new Array<number>(DEVICE_BUCKETS - counts.length).fill(0)];

describe('buildReport with device buckets', () => {
  // Four buckets of 100 exposures per variant; the test values were computed with SciPy.
  const bucketed: OutcomesResponse = {
    windowMs: 1_800_000,
    experiments: [
      {
        name: 'home-row',
        variants: [
          { name: 'popular', exposures: 400, click: 40, add_to_cart: 0, purchase: 4, buckets: { exposures: spread([100, 100, 100, 100]), click: spread([10, 5, 20, 5]), add_to_cart: spread([]), purchase: spread([1, 1, 1, 1]) } },
          { name: 'personal', exposures: 400, click: 60, add_to_cart: 0, purchase: 8, buckets: { exposures: spread([100, 100, 100, 100]), click: spread([30, 10, 10, 10]), add_to_cart: spread([]), purchase: spread([2, 2, 2, 2]) } },
        ],
      },
    ],
  };

  it('takes the bucket as the unit', () => {
    const [control, treatment] = buildReport(bucketed);
    expect(control.unit).toBe('device-bucket');
    expect(control.buckets).toBe(4);
    expect(control.ctr.designEffect).toBeCloseTo(5.555555555555555, 12);
    expect(treatment.ctr.designEffect).toBeCloseTo(7.8431372549019605, 12);
    expect(treatment.ctr.z).toBeCloseTo(0.8164965809277259, 12);
    expect(treatment.ctr.pValue).toBeCloseTo(0.4487249488911664, 10);
    expect(treatment.ctr.significant).toBe(false);
    // The same counts as independent exposures look significant.
    expect(twoProportionZTest(60, 400, 40, 400)!.pValue).toBeLessThan(0.05);
  });

  it('widens the intervals by the design effect', () => {
    const [control] = buildReport(bucketed);
    expect(control.ctr.interval.rate).toBe(0.1);
    const effective = wilsonInterval(40 / 5.555555555555555, 400 / 5.555555555555555);
    expect(control.ctr.interval.low).toBeCloseTo(effective.low, 12);
    expect(control.ctr.interval.high).toBeCloseTo(effective.high, 12);
    // Purchases spread evenly over the buckets keep the binomial interval.
    expect(control.conversion.designEffect).toBe(1);
    expect(control.conversion.interval).toEqual(wilsonInterval(4, 400));
  });

  it('falls back without buckets', () => {
    const old = structuredClone(bucketed);
    delete old.experiments[0].variants[1].buckets;
    const [control, treatment] = buildReport(old);
    expect(control.unit).toBe('exposure');
    expect(treatment.buckets).toBe(0);
    expect(treatment.ctr.pValue).toBeCloseTo(twoProportionZTest(60, 400, 40, 400)!.pValue, 12);
    expect(treatment.ctr.designEffect).toBeNull();
    const text = formatReport([control, treatment], 0.05);
    expect(text).toContain('no buckets');
    expect(text).toContain('No buckets: two-proportion z test');
  });

  it('marks unused buckets and empty variants', () => {
    // The control's exposures carry 4 buckets, the treatment's none: the z test runs for both.
    const mixed = structuredClone(bucketed);
    delete mixed.experiments[0].variants[1].buckets;
    // A second experiment whose control has no exposure yet and whose other variants have 3 and 1 buckets.
    const variant = (name: string, perBucket: number[], clicks: number[]) => ({
      name,
      exposures: perBucket.reduce((sum, n) => sum + n, 0),
      click: clicks.reduce((sum, n) => sum + n, 0),
      add_to_cart: 0,
      purchase: 0,
      buckets: { exposures: spread(perBucket), click: spread(clicks), add_to_cart: spread([]), purchase: spread([]) },
    });
    mixed.experiments.push({ name: 'new-row', variants: [variant('a', [], []), variant('b', [1, 1, 1], [1]), variant('c', [2], [])] });

    const lines = formatReport(buildReport(mixed), 0.05).split('\n');
    const cells = (start: string) => lines.find((line) => line.startsWith(start))!.split(/ {2,}/);
    expect(cells('home-row    popular')[3]).toBe('4 buckets, not used');
    expect(cells('home-row    personal')[3]).toBe('no buckets');
    expect(cells('new-row     a')[3]).toBe('no exposures');
    expect(cells('new-row     b')[3]).toBe('3 buckets, not used');
    expect(cells('new-row     c')[3]).toBe('1 bucket, not used');
    expect(lines).toContain('No buckets: two-proportion z test and 95% Wilson intervals that treat every exposure as independent, so with many exposures per device the p-values are too small. An experiment is tested this way when one of its variants has exposures from fewer than 2 device buckets: counts from SDKs and companions before device buckets, or a variant with no or too few exposures yet.');
  });

  it('reports counts and empty pages', () => {
    const [, treatment] = buildReport(bucketed);
    expect(treatment.counts).toEqual({ click: 60, add_to_cart: 0, purchase: 8 });
    expect(formatReportHtml([], 0.05)).toContain('<p>The companion has no experiments. Add them to the config file of `aisle serve --config`.</p>');
  });

  it('states the unit in the table', () => {
    const text = formatReport(buildReport(bucketed), 0.05);
    expect(text.split('\n').find((line) => line.includes('personal'))).toContain('4 buckets, CTR DE 7.84');
    expect(text).toContain('Device buckets: Welch t test');
    expect(text).not.toContain('No buckets');
  });
});

describe('aisle report', () => {
  it('reads outcomes from a running companion', async () => {
    const fixture = await buildCompanionFixture(10);
    const config = parseConfig({ experiments: [{ name: 'aa', variants: [{ name: 'a' }, { name: 'b' }] }] }, 'test.json');
    const app = await createServer({ modelsDir: fixture.dir, metrics: false, live: { ...config.live, timer: false } });
    const dir = await mkdtemp(join(tmpdir(), 'aisle-report-'));
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
      const endpoint = `http://127.0.0.1:${address.port}`;
      const time = Date.now();
      const events = [
        { type: 'exposure', ranking: 'x1', experiment: 'aa', variant: 'a', time },
        { type: 'exposure', ranking: 'x2', experiment: 'aa', variant: 'b', time },
        { item: 'item-1', type: 'click', time, ranking: 'x2' },
      ];
      await fetch(`${endpoint}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });

      let output = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output += String(chunk);
        return true;
      });
      const html = join(dir, 'report.html');
      expect(await run(['--endpoint', endpoint, '--json', '--html', html])).toBe(0);
      const report = JSON.parse(output) as { alpha: number; rows: Array<{ variant: string; exposures: number; ctr: { interval: { rate: number } } }> };
      expect(report.alpha).toBe(0.05);
      expect(report.rows.map((row) => [row.variant, row.exposures, row.ctr.interval.rate])).toEqual([
        ['a', 1, 0],
        ['b', 1, 1],
      ]);
      expect(await readFile(html, 'utf8')).toContain('<td>b</td><td>1</td><td>no buckets</td><td>100.00% [');
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
      await rm(fixture.dir, { recursive: true, force: true });
    }
  });

  // Starts a server on 127.0.0.1 that returns 200 and `body` for every request.
  async function serveBody(body: string, contentType: string): Promise<{ endpoint: string; server: Server }> {
    const server = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': contentType });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
    return { endpoint: `http://127.0.0.1:${address.port}`, server };
  }

  it('rejects an HTML page body', async () => {
    // A store front end returns its index.html for every path.
    const { endpoint, server } = await serveBody('<!doctype html><html></html>', 'text/html');
    try {
      await expect(run(['--endpoint', endpoint])).rejects.toMatchObject({
        code: 'AISLE_COMPANION_ERROR',
        message: `GET ${endpoint}/v1/experiments/outcomes returned no experiment outcomes: the body is text/html, not JSON. Check that --endpoint is the base URL of \`aisle serve\`.`,
      });
    } finally {
      server.close();
    }
  });

  it('rejects JSON without experiments', async () => {
    const { endpoint, server } = await serveBody(JSON.stringify({ status: 'ok', items: 3 }), 'application/json');
    try {
      await expect(run(['--endpoint', endpoint])).rejects.toMatchObject({
        code: 'AISLE_COMPANION_ERROR',
        message: `GET ${endpoint}/v1/experiments/outcomes returned no experiment outcomes: \`experiments\` is missing or not a list of experiments with variants and counts. Check that --endpoint is the base URL of \`aisle serve\`.`,
      });
    } finally {
      server.close();
    }
  });

  it('rejects bucket arrays of unequal length', async () => {
    const variant = { name: 'a', exposures: 2, click: 1, add_to_cart: 0, purchase: 0, buckets: { exposures: [1, 1], click: [1], add_to_cart: [0, 0], purchase: [0, 0] } };
    const { endpoint, server } = await serveBody(JSON.stringify({ windowMs: 1, experiments: [{ name: 'aa', variants: [variant] }] }), 'application/json');
    try {
      await expect(run(['--endpoint', endpoint])).rejects.toMatchObject({ code: 'AISLE_COMPANION_ERROR' });
    } finally {
      server.close();
    }
  });

  it('names an unreachable endpoint', async () => {
    await expect(run(['--endpoint', 'http://127.0.0.1:9'])).rejects.toMatchObject({ code: 'AISLE_COMPANION_UNREACHABLE', message: expect.stringContaining('GET http://127.0.0.1:9/v1/experiments/outcomes failed') });
  });
});
