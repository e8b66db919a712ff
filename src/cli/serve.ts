/**
 * `aisle serve`: runs the companion service over a models directory until SIGINT or SIGTERM.
 * SIGHUP reloads the models directory without dropping a request.
 */
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';
import { reloadServer, startServer, type CorsOrigins } from '../server/app.js';
import { loadConfig } from '../server/config.js';

const HELP = `Usage: aisle serve --models DIR [options]

Starts the companion service: ANN candidates, hybrid search, item lookups and model files
over HTTP, for the Aisle SDK running on store pages. It also takes anonymous events
(POST /v1/events) for live counters and trending, and exports Prometheus metrics at /metrics.

Options:
  --models DIR       models directory written by \`aisle train\` (required)
  --port N           TCP port to listen on; 0 picks a free port (default 8787)
  --host ADDR        interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --cors ORIGINS     origins allowed to call from a browser: '*' for any (default),
                     a comma-separated list of exact origins, or 'off' for no CORS headers
  --ef-search N      HNSW efSearch for every ANN search (default: the value stored in the index)
  --nprobe N         IVF nprobe for every ANN search (default: the value stored in the index)
  --log-level LEVEL  pino level: fatal, error, warn, info, debug, trace or silent (default info)
  --config FILE      JSON config: half-lives and thresholds of the live counters,
                     experiments, and extra model sets ("modelSets": { VERSION: DIR })
                     served under /versions/VERSION (see src/server/config.ts for the keys)
  --metrics on|off   serve Prometheus metrics at GET /metrics (default on)
  -h, --help         print this help

Reloading: send SIGHUP (kill -HUP PID) to load the models directory again and swap it in while
requests keep being answered; a directory that fails its checks is logged and the old one stays.
The extra model sets of the config are not reloaded: a version names fixed models.
With the environment variable AISLE_ADMIN_TOKEN set (at least 16 characters), POST /admin/reload
with the header 'Authorization: Bearer TOKEN' does the same over HTTP.
POST /v1/items (adding new products) needs the same token; without it catalog writes are refused.
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function invalidOption(name: string, value: string, expected: string): AisleError {
  return new AisleError('AISLE_INVALID_ARGUMENT', `--${name} must be ${expected}, got ${JSON.stringify(value)}. Run \`aisle serve --help\`.`);
}

function parseInteger(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw invalidOption(name, value, `an integer in [${min}, ${max}]`);
  return number;
}

/** Parses the --cors value: '*', 'off', or a comma-separated list of origins. */
export function parseCors(value: string | undefined): CorsOrigins {
  if (value === undefined || value === '*') return '*';
  if (value === 'off') return false;
  const origins = value.split(',').map((origin) => origin.trim()).filter((origin) => origin.length > 0);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw invalidOption('cors', origin, "'*', 'off' or origins like https://shop.example (scheme and host, no path)");
  }
  if (origins.length === 0) throw invalidOption('cors', value, "'*', 'off' or a comma-separated list of origins");
  return origins;
}

/** Resolves once the process receives SIGINT or SIGTERM; returns the signal name. */
function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      cors: { type: 'string' },
      'ef-search': { type: 'string' },
      nprobe: { type: 'string' },
      'log-level': { type: 'string' },
      config: { type: 'string' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

/** Runs `aisle serve` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    values = parseOptions(argv).values;
  } catch (error) {
    process.stderr.write(`aisle serve: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.models === undefined) {
    process.stderr.write(`aisle serve: --models DIR is required.\n\n${HELP}`);
    return 2;
  }
  const level = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw invalidOption('log-level', level, LOG_LEVELS.join(', '));
  const metrics = values.metrics ?? 'on';
  if (metrics !== 'on' && metrics !== 'off') throw invalidOption('metrics', metrics, "'on' or 'off'");
  const config = values.config === undefined ? undefined : await loadConfig(values.config);

  const adminToken = process.env.AISLE_ADMIN_TOKEN === undefined || process.env.AISLE_ADMIN_TOKEN === '' ? undefined : process.env.AISLE_ADMIN_TOKEN;
  const app = await startServer({
    adminToken,
    modelsDir: values.models,
    port: parseInteger('port', values.port, 0, 65535) ?? 8787,
    host: values.host ?? '127.0.0.1',
    cors: parseCors(values.cors),
    logger: { level },
    ann: { efSearch: parseInteger('ef-search', values['ef-search'], 1, 100_000), nprobe: parseInteger('nprobe', values.nprobe, 1, 1_000_000) },
    live: config?.live,
    modelSets: config?.modelSets,
    metrics: metrics === 'on',
  });

  // Reloader logs both outcomes, so a failed reload needs no handling here.
  const onHangUp = () => {
    app.log.info('SIGHUP received, reloading the models directory');
    reloadServer(app).catch(() => {});
  };
  process.on('SIGHUP', onHangUp);
  const signal = await waitForStopSignal();
  process.off('SIGHUP', onHangUp);
  app.log.info({ signal }, 'stopping the companion');
  await app.close();
  return 0;
}
