import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeVector, dot, encodeVector, normalize } from '../../src/core/vector.js';

describe('vector codec', () => {
  it('round-trips float32 values exactly', () => {
    const vector = new Float32Array([0, -0, 1.5, -2.25, 3.4028234663852886e38, 1e-45, Math.PI]);
    const decoded = decodeVector(encodeVector(vector));
    expect(decoded).not.toBeNull();
    expect(Array.from(decoded!)).toEqual(Array.from(vector));
  });

  it('matches Node Buffer base64 for every length mod 3', () => {
    for (let length = 0; length < 10; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + 13) & 255);
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(Buffer.from(bytes).toString('base64'))!)).toEqual(Array.from(bytes));
    }
  });

  it('rejects text that is not whole float32 base64', () => {
    expect(decodeVector('abc')).toBeNull();
    expect(decodeVector('AAAA')).toBeNull(); // 3 bytes
    expect(decodeVector('AA*A')).toBeNull();
    expect(decodeVector('AAAAAAA=')).toBeNull(); // 5 bytes
    expect(decodeVector('AAAAAA==')).toEqual(new Float32Array([0])); // 4 bytes
  });

  it('normalize gives unit length and keeps zero vectors zero', () => {
    const unit = normalize(new Float32Array([3, 4]));
    expect(unit[0]).toBeCloseTo(0.6, 6);
    expect(unit[1]).toBeCloseTo(0.8, 6);
    expect(dot(unit, unit)).toBeCloseTo(1, 6);
    expect(Array.from(normalize(new Float32Array(3)))).toEqual([0, 0, 0]);
  });
});
