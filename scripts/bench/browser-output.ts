/** Output helpers of the benchmark commands: the saved JSON record and the text table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `result` as indented JSON to `path`, creating its folder. */
export function saveResult(path: string, result: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 1)}\n`);
}

/** Returns a two-column text table of flat figures. */
export function formatFigures(flat: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(flat).map((key) => key.length));
  return Object.entries(flat)
    .map(([key, value]) => `${key.padEnd(width)}  ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`)
    .join('\n');
}
