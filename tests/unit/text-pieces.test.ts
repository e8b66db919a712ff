import { describe, expect, it } from 'vitest';
import { encodeText, encodeTexts, hashPiece, normalizeText, TEXT_PIECES, textPieces, textWords } from '../../src/core/text-pieces.js';

describe('text pieces', () => {
  it('normalizes width, case and accents', () => {
    expect(normalizeText('Crème BRÛLÉE ＡＢＣ ﬁne')).toBe('creme brulee abc fine');
    expect(textWords('Crème brûlée')).toEqual(textWords('creme BRULEE'));
  });

  it('keeps vowel signs of other scripts', () => {
    expect(normalizeText('ลิปสติก')).toBe('ลิปสติก');
    expect(normalizeText('हिंदी')).toBe('हिंदी');
    expect(normalizeText('Tiếng Việt Ωμέγα Йод')).toBe('tieng viet ωμεγα иод');
    expect(textWords('ลิปสติก हिंदी')).toEqual(['ลิปสติก', 'हिंदी']);
  });

  it('splits any script and emoji', () => {
    expect(textWords('東京タワー 🔥glue😀 naïve-café 4-1/2')).toEqual(['東京タワー', '🔥', 'glue', '😀', 'naive', 'cafe', '4', '1', '2']);
    expect(textWords('Привет, мир')).toEqual(['привет', 'мир']);
  });

  it('gives words and trigrams', () => {
    expect(textPieces('Glue')).toEqual(['w:glue', '<gl', 'glu', 'lue', 'ue>']);
    // A one-character word still gets one trigram with both boundary marks.
    expect(textPieces('x')).toEqual(['w:x', '<x>']);
    // Trigrams count code points, so an emoji is one character, not two UTF-16 units.
    expect(textPieces('😀')).toEqual(['w:😀', '<😀>']);
  });

  it('shares pieces with a typo', () => {
    const clean = new Set(textPieces('adhesive'));
    const typo = textPieces('adhesvie');
    expect(typo.filter((piece) => clean.has(piece)).length).toBeGreaterThanOrEqual(4);
  });

  it('encodes distinct weighted pieces', () => {
    const encoded = encodeText('glue glue tape');
    const distinct = new Set(textPieces('glue glue tape').map((piece) => hashPiece(piece, TEXT_PIECES.buckets)));
    expect(encoded.count).toBe(distinct.size);
    expect([...encoded.ids.subarray(0, encoded.count)].sort()).toEqual([...distinct].sort());
    expect(encoded.weights.reduce((sum, w) => sum + w, 0)).toBeCloseTo(1, 6);
    expect(encoded.ids.length).toBe(TEXT_PIECES.maxPieces);
  });

  it('encodes symbols as nothing', () => {
    for (const text of ['', '   ', '!!! ... ---']) {
      const encoded = encodeText(text);
      expect(encoded.count, JSON.stringify(text)).toBe(0);
      expect(encoded.weights.every((w) => w === 0)).toBe(true);
    }
  });

  it('caps pieces of long text', () => {
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    expect(encodeText(long).count).toBe(TEXT_PIECES.maxPieces);
  });

  it('lays texts out by row', () => {
    const { ids, weights } = encodeTexts(['glue', '', 'tape']);
    const width = TEXT_PIECES.maxPieces;
    expect(ids.length).toBe(3 * width);
    expect([...ids.subarray(0, width)]).toEqual([...encodeText('glue').ids]);
    expect(weights.subarray(width, 2 * width).every((w) => w === 0)).toBe(true);
    expect([...ids.subarray(2 * width)]).toEqual([...encodeText('tape').ids]);
  });

  it('hashes with FNV-1a', () => {
    // FNV-1a of "a" is 0xe40c292c.
    expect(hashPiece('a', 2 ** 32)).toBe(0xe40c292c);
    for (const piece of ['w:glue', '<gl', '東京']) expect(hashPiece(piece, 97)).toBeLessThan(97);
  });
});
