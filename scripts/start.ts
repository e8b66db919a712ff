/**
 * `npm start`: runs the demo store on this machine. It builds the FAISS addon if needed, trains
 * the models once (or reuses them), starts the companion service and the Vite dev server of the
 * demo, prints the URL to open and stops both on Ctrl-C.
 *
 *   npm start
 *   npm start -- --data ../shared/data/amazon-scientific --port 8787 --demo-port 5173
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer as createViteServer, type Plugin } from 'vite';
import { createServer as createCompanion } from '../src/server/app.js';
import { ensureModels, ensureNativeAddon, modelsDirFor, REPO_ROOT } from '../demo/node/models.js';
import { addDemoNewItems, demoAdminToken } from '../demo/node/new-items.js';

const HELP = `Usage: npm start -- [options]

Starts the Aisle demo store: the companion service and the demo page, both on 127.0.0.1.

Options:
  --data PATH       dataset to train on: 'demo' (the generated demo catalog, default) or a
                    dataset folder; trained models are cached under .cache/models/<folder name>
  --port N          TCP port of the companion service (default 8787)
  --demo-port N     TCP port of the demo page (default 5173)
  -h, --help        print this help
`;

function log(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

function parsePort(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    throw new Error(`--${name} must be a TCP port from 1 to 65535, got ${JSON.stringify(value)}.`);
  }
  return port;
}

/** Serves /config.json from the dev server, so the page learns where the companion listens. */
function demoConfigPlugin(config: Record<string, unknown>): Plugin {
  return {
    name: 'aisle-demo-config',
    configureServer(server) {
      server.middlewares.use('/config.json', (_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.setHeader('cache-control', 'no-store');
        response.end(JSON.stringify(config));
      });
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'demo' },
      port: { type: 'string', default: '8787' },
      'demo-port': { type: 'string', default: '5173' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const companionPort = parsePort('port', values.port);
  const demoPort = parsePort('demo-port', values['demo-port']);
  const modelsDir = modelsDirFor(values.data);

  ensureNativeAddon(log);
  ensureModels(values.data, modelsDir, log);

  log(`Starting the companion over ${modelsDir}`);
  const adminToken = demoAdminToken();
  const companion = await createCompanion({ modelsDir, adminToken });
  if (values.data === 'demo') await addDemoNewItems(companion, adminToken, log);
  await companion.listen({ host: '127.0.0.1', port: companionPort });
  const endpoint = `http://127.0.0.1:${companionPort}`;
  log(`Companion listening on ${endpoint}`);

  const datasetName = values.data === 'demo' ? 'demo catalog' : modelsDir.split('/').pop();
  const vite = await createViteServer({
    configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'),
    server: { host: '127.0.0.1', port: demoPort, strictPort: true },
    plugins: [demoConfigPlugin({ endpoint, dataset: datasetName })],
  });
  await vite.listen();
  const url = `http://127.0.0.1:${demoPort}/`;
  log(`Demo store running. Open ${url}  (Ctrl-C stops both servers)`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, stopping the demo page and the companion.`);
    await vite.close();
    await companion.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
