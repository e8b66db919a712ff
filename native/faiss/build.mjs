#!/usr/bin/env node
/**
 * Builds native/faiss/build/Release/aisle_faiss.node, the FAISS binding of the companion service.
 *
 *   npm run build:native          build when a source is newer than the addon, else do nothing
 *   npm run build:native -- --force   rebuild from scratch
 *
 * FAISS is looked up in this order: pkg-config `faiss`, then the FAISS_INCLUDE_DIR (the directory
 * that contains faiss/Index.h) and FAISS_LIB_DIR environment variables, then Debian's layout
 * (/usr/include/faiss and /usr/lib/<multiarch>). node-gyp runs from node_modules/.bin against the
 * Node headers installed next to this Node binary (--nodedir), so it never downloads headers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const ADDON = join(HERE, 'build', 'Release', 'aisle_faiss.node');
const SOURCES = ['addon.cc', 'binding.gyp', 'build.mjs'].map((name) => join(HERE, name));
const INSTALL_HINT = 'apt-get install -y libfaiss-dev libopenblas0-pthread';
const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ppc64: 'powerpc64le-linux-gnu', s390x: 's390x-linux-gnu' };

function log(message) {
  console.log(`[build:native] ${message}`);
}

function fail(lines) {
  for (const line of lines) console.error(`[build:native] ${line}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function hasFaissLibrary(dir) {
  return existsSync(join(dir, 'libfaiss.so')) || existsSync(join(dir, 'libfaiss.a'));
}

/** Returns { source, includeDirs, libs, ldflags } or null when FAISS is not installed. */
function findFaiss() {
  const probe = run('pkg-config', ['--exists', 'faiss']);
  if (probe.status === 0) {
    const cflags = run('pkg-config', ['--cflags-only-I', 'faiss']).stdout.trim();
    const libs = run('pkg-config', ['--libs', 'faiss']).stdout.trim();
    const includeDirs = cflags.split(/\s+/).filter(Boolean).map((flag) => flag.replace(/^-I/, ''));
    return { source: 'pkg-config faiss', includeDirs, libs: libs || '-lfaiss', ldflags: '' };
  }

  const includeFromEnv = process.env.FAISS_INCLUDE_DIR;
  const libFromEnv = process.env.FAISS_LIB_DIR;
  if (includeFromEnv || libFromEnv) {
    if (!includeFromEnv || !existsSync(join(includeFromEnv, 'faiss', 'Index.h'))) {
      fail([`FAISS_INCLUDE_DIR=${includeFromEnv ?? '(unset)'} does not contain faiss/Index.h.`,
        'Set it to the directory that contains faiss/Index.h (for example /usr/include), or install FAISS:',
        `  ${INSTALL_HINT}`]);
    }
    if (!libFromEnv || !hasFaissLibrary(libFromEnv)) {
      fail([`FAISS_LIB_DIR=${libFromEnv ?? '(unset)'} does not contain libfaiss.so or libfaiss.a.`,
        'Set it to the directory of the FAISS library, or install FAISS:',
        `  ${INSTALL_HINT}`]);
    }
    return { source: 'FAISS_INCLUDE_DIR / FAISS_LIB_DIR', includeDirs: [includeFromEnv], libs: `-L${libFromEnv} -lfaiss`, ldflags: `-Wl,-rpath,${libFromEnv}` };
  }

  const multiarch = run('gcc', ['-print-multiarch']).stdout?.trim() || MULTIARCH[process.arch] || '';
  const libDirs = [join('/usr/lib', multiarch), '/usr/lib', '/usr/local/lib'];
  const libDir = libDirs.find(hasFaissLibrary);
  const includeDir = ['/usr/include', '/usr/local/include'].find((dir) => existsSync(join(dir, 'faiss', 'Index.h')));
  if (!libDir || !includeDir) return null;
  return { source: `system (${includeDir}/faiss, ${libDir})`, includeDirs: [includeDir], libs: `-L${libDir} -lfaiss`, ldflags: '' };
}

/** Returns a directory with include/node/node_api.h, so node-gyp needs no download. */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h'))) ?? null;
}

function isUpToDate() {
  if (!existsSync(ADDON)) return false;
  const built = statSync(ADDON).mtimeMs;
  return SOURCES.every((file) => statSync(file).mtimeMs <= built);
}

function main() {
  const force = process.argv.includes('--force');
  if (!force && isUpToDate()) {
    log(`up to date: ${ADDON}`);
    return;
  }

  const faiss = findFaiss();
  if (!faiss) {
    fail(['FAISS was not found (no pkg-config `faiss`, no FAISS_INCLUDE_DIR / FAISS_LIB_DIR, no /usr/include/faiss).',
      'Install it with:',
      `  ${INSTALL_HINT}`]);
  }
  log(`FAISS from ${faiss.source}`);

  const nodeDir = findNodeDir();
  if (!nodeDir) {
    fail([`Node headers (include/node/node_api.h) were not found next to ${process.execPath}.`,
      'Install the headers of this Node version or set npm_config_nodedir to a directory that contains include/node.']);
  }
  log(`Node headers from ${nodeDir}/include/node`);

  const nodeGyp = join(ROOT, 'node_modules', '.bin', 'node-gyp');
  if (!existsSync(nodeGyp)) fail([`${nodeGyp} is missing; run \`npm install\` first.`]);

  const configured = existsSync(join(HERE, 'build', 'Makefile'));
  const gypChanged = configured && statSync(join(HERE, 'binding.gyp')).mtimeMs > statSync(join(HERE, 'build', 'Makefile')).mtimeMs;
  const command = force || !configured || gypChanged ? 'rebuild' : 'build';
  log(`node-gyp ${command}`);

  const env = {
    ...process.env,
    AISLE_FAISS_INCLUDE_DIRS: faiss.includeDirs.join(' '),
    AISLE_FAISS_LIBS: faiss.libs,
    AISLE_FAISS_LDFLAGS: faiss.ldflags,
  };
  const started = Date.now();
  const result = spawnSync(nodeGyp, [command, `--nodedir=${nodeDir}`, '--jobs=2', '--loglevel=warn'], { cwd: HERE, env, stdio: 'inherit' });
  if (result.status !== 0) fail([`node-gyp ${command} failed (exit ${result.status ?? result.signal}); see the compiler output above.`]);
  if (!existsSync(ADDON)) fail([`node-gyp finished but ${ADDON} is missing.`]);

  // make leaves the addon untouched when nothing changed; touching it keeps isUpToDate() exact.
  const now = new Date();
  utimesSync(ADDON, now, now);
  log(`built ${ADDON} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main();
