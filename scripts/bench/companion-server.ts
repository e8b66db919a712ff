/**
 * Child process of the companion benchmark: starts the real companion (src/server) on 127.0.0.1
 * with the ChildOptions passed as JSON in argv[2], so the load generator in the parent does not
 * share the server's event loop. `serverRoot` names another checkout of Aisle whose
 * src/server/app.ts is started instead, to measure an earlier version under the same load.
 * Talks to the parent over the IPC channel of child_process.fork:
 *
 * - sends `{ type: 'listening', port, startMs, rssBytes }` once the server listens;
 * - on `{ type: 'stats' }` replies `{ type: 'stats', stats, cpuMicros, rssBytes }`: the companion's
 *   cache and batching counters, and the process's CPU time (all threads) and resident set;
 * - on `{ type: 'stop' }` closes the server and exits.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import type { CompanionStats, StartOptions } from '../../src/server/app.js';

/** Options the parent passes as JSON in argv[2]. */
export interface ChildOptions {
  /** Root of the Aisle checkout whose server is started; default this one. */
  serverRoot?: string;
  server: Omit<StartOptions, 'host' | 'port' | 'logger'>;
}

type ServerModule = typeof import('../../src/server/app.js');

/** Messages the child sends to the parent. */
export type ChildMessage =
  | { type: 'listening'; port: number; startMs: number; rssBytes: number }
  | { type: 'stats'; stats: CompanionStats | undefined; cpuMicros: number; rssBytes: number }
  | { type: 'error'; message: string };

/** Messages the parent sends to the child. */
export type ParentMessage = { type: 'stats' } | { type: 'stop' };

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  const moduleUrl = options.serverRoot ? pathToFileURL(join(options.serverRoot, 'src/server/app.ts')).href : new URL('../../src/server/app.ts', import.meta.url).href;
  const server = (await import(moduleUrl)) as Partial<ServerModule> & Pick<ServerModule, 'startServer'>;

  const started = performance.now();
  const app = await server.startServer({ ...options.server, host: '127.0.0.1', port: 0, logger: false });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  send({ type: 'listening', port, startMs: performance.now() - started, rssBytes: process.memoryUsage().rss });

  process.on('message', (message: ParentMessage) => {
    // An earlier checkout may have no companionStats.
    if (message.type === 'stats') {
      const cpu = process.cpuUsage();
      send({ type: 'stats', stats: server.companionStats?.(app), cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss });
    }
    if (message.type === 'stop') void app.close().then(() => process.exit(0));
  });
  // The parent died without sending 'stop': do not linger as an orphan holding gigabytes.
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
