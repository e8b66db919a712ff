/**
 * `aisle serve` argument handling: help, missing and invalid options, and the --cors parser.
 * Starting and stopping a real server is covered by server.test.ts through createServer.
 */
import { describe, expect, it } from 'vitest';
import { parseCors, run } from '../../src/cli/serve.js';

describe('parseCors', () => {
  it('defaults to any origin', () => {
    expect(parseCors(undefined)).toBe('*');
    expect(parseCors('*')).toBe('*');
  });

  it('turns CORS off', () => {
    expect(parseCors('off')).toBe(false);
  });

  it('parses a list of origins', () => {
    expect(parseCors('https://shop.example, http://localhost:5173')).toEqual(['https://shop.example', 'http://localhost:5173']);
  });

  it('rejects origins with a path or no scheme', () => {
    expect(() => parseCors('https://shop.example/path')).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
    expect(() => parseCors('shop.example')).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
    expect(() => parseCors(',')).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
  });
});

describe('aisle serve run', () => {
  it('prints help and exits 0', async () => {
    await expect(run(['--help'])).resolves.toBe(0);
  });

  it('exits 2 without --models or with an unknown option', async () => {
    await expect(run([])).resolves.toBe(2);
    await expect(run(['--models', '/tmp', '--verbose'])).resolves.toBe(2);
  });

  it('rejects a bad port before loading models', async () => {
    await expect(run(['--models', '/nonexistent', '--port', '80000'])).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    await expect(run(['--models', '/nonexistent', '--port=-1'])).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    await expect(run(['--models', '/nonexistent', '--log-level', 'loud'])).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });

  it('reports a missing models directory', async () => {
    await expect(run(['--models', '/nonexistent', '--port', '0', '--log-level', 'silent'])).rejects.toMatchObject({ code: 'AISLE_MANIFEST_INVALID' });
  });
});
