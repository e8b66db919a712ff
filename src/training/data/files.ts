/**
 * File access shared by the dataset adapters. Every failure is an AisleError with the code
 * AISLE_DATA_INVALID whose message names the path, what was expected and what was found.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../../core/errors.js';

/** Builds the error of a missing or malformed dataset file. */
export function dataError(path: string, expected: string, found: string, cause?: unknown): AisleError {
  return new AisleError('AISLE_DATA_INVALID', `Reading dataset file ${path} failed: expected ${expected}, found ${found}.`, {
    cause,
    details: { path, expected, found },
  });
}

/** Builds the error of a dataset directory that is missing, not a directory or lacks the expected files. */
export function directoryError(dir: string, expected: string, found: string, cause?: unknown): AisleError {
  return new AisleError('AISLE_DATA_INVALID', `Reading dataset directory ${dir} failed: expected ${expected}, found ${found}.`, {
    cause,
    details: { path: dir, expected, found },
  });
}

/** Lists the file names of a dataset directory, or throws AISLE_DATA_INVALID when it is not one. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw directoryError(dir, 'a directory', 'a file');
    return await readdir(dir);
  } catch (error) {
    if (error instanceof AisleError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const found = code === 'ENOENT' ? 'nothing at that path' : `a path that cannot be read (${code ?? String(error)})`;
    throw directoryError(dir, 'a directory', found, error);
  }
}

/** Reads `dir/name` as text (UTF-8 unless `encoding` is given), or throws AISLE_DATA_INVALID naming the file. */
export async function readDataFile(dir: string, name: string, encoding: BufferEncoding = 'utf8'): Promise<string> {
  const path = join(dir, name);
  try {
    return await readFile(path, encoding);
  } catch (error) {
    throw dataError(path, `the file ${name}`, 'no readable file', error);
  }
}

/** Splits text into non-empty lines, accepting both LF and CRLF line ends. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

/** Parses a base-10 integer field, or throws AISLE_DATA_INVALID naming the file and line. */
export function parseIntField(value: string | undefined, path: string, lineNumber: number, field: string): number {
  const parsed = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(parsed)) {
    throw dataError(path, `an integer ${field} on line ${lineNumber}`, JSON.stringify(value ?? null));
  }
  return parsed;
}

/**
 * Maps public item ids to item indices in a fixed order. `order` decides the index order, so
 * every adapter documents which one it uses.
 */
export function indexIds(ids: Iterable<string>, order: 'numeric' | 'given'): Map<string, number> {
  const list = [...new Set(ids)];
  if (order === 'numeric') list.sort(compareNumericIds);
  return new Map(list.map((id, index) => [id, index]));
}

/** Orders ids by numeric value, and ids with equal value (such as '1' and '01') by their text. */
function compareNumericIds(a: string, b: string): number {
  const difference = Number(a) - Number(b);
  if (difference !== 0) return difference;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
