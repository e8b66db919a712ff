/** Builds the demo into dist/demo when the build is missing or older than any source it bundles. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { REPO_ROOT } from './models.js';

/** Folders whose files end up in the demo bundle. */
const BUNDLED_SOURCES = ['demo/src', 'demo/index.html', 'demo/vite.config.ts', 'src/client', 'src/worker', 'src/core', 'src/runtime', 'src/store'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Returns the dist/demo folder, building it first when it is missing or stale. */
export async function ensureDemoBuild(log: (line: string) => void): Promise<string> {
  const outDir = join(REPO_ROOT, 'dist', 'demo');
  const builtAt = newestMtime(join(outDir, 'index.html'));
  const changedAt = Math.max(...BUNDLED_SOURCES.map((path) => newestMtime(join(REPO_ROOT, path))));
  if (builtAt > changedAt) return outDir;
  log('Building the demo into dist/demo (sources changed since the last build).');
  await build({ configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'), logLevel: 'warn' });
  return outDir;
}
