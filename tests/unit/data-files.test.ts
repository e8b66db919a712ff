import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/training/data/index.js';

describe('dataset directory errors', () => {
  it('calls a missing path a directory', async () => {
    await expect(loadDataset('/x/nope')).rejects.toThrow('Reading dataset directory /x/nope failed: expected a directory, found nothing at that path.');
  });

  it('rejects a file given as the directory', async () => {
    const file = fileURLToPath(new URL('../../package.json', import.meta.url));
    await expect(loadDataset(file)).rejects.toThrow(`Reading dataset directory ${file} failed: expected a directory, found a file.`);
  });
});
