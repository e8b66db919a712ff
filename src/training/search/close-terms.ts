/**
 * Close terms from the catalog's own text, for the "close" query set: a word is replaced by the
 * word whose contexts are most alike (second-order co-occurrence). Each word's context vector
 * counts the words it shares an item text with, weighted by positive pointwise mutual
 * information. The close term is the other word of highest cosine. Words such as "glue" and
 * "adhesive" rarely share a title but share "waterproof", "bond" and "ounce". Only text is used,
 * never a model, so the query set does not favour any method under test.
 */

/** Closest words kept per word; an item's own words are skipped among them. */
const CLOSEST_KEPT = 50;

/** Finds close terms among the words of `lists` (one word list per item). */
export class CloseTerms {
  private readonly vectors = new Map<string, Map<string, number>>();
  private readonly norms = new Map<string, number>();
  /** For each context word, the words whose vectors contain it (an inverted index for cosine). */
  private readonly postings = new Map<string, string[]>();
  private readonly cache = new Map<string, string[]>();

  /** Words in fewer than `minItems` items get no vector and are never proposed. */
  constructor(lists: readonly string[][], minItems = 5) {
    const frequency = new Map<string, number>();
    for (const list of lists) for (const word of new Set(list)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
    const kept = (word: string): boolean => (frequency.get(word) ?? 0) >= minItems;
    const pairs = new Map<string, Map<string, number>>();
    for (const list of lists) {
      const words = [...new Set(list)].filter(kept);
      for (const a of words) {
        let row = pairs.get(a);
        if (!row) pairs.set(a, (row = new Map()));
        for (const b of words) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
    const total = lists.length;
    for (const [word, row] of pairs) {
      const vector = new Map<string, number>();
      for (const [context, count] of row) {
        const pmi = Math.log((count * total) / ((frequency.get(word) as number) * (frequency.get(context) as number)));
        if (pmi > 0) vector.set(context, pmi);
      }
      if (vector.size === 0) continue;
      this.vectors.set(word, vector);
      this.norms.set(word, Math.sqrt([...vector.values()].reduce((sum, v) => sum + v * v, 0)));
      for (const context of vector.keys()) {
        let list = this.postings.get(context);
        if (!list) this.postings.set(context, (list = []));
        list.push(word);
      }
    }
  }

  /** Returns the closest other word to `word` outside `avoid`, or undefined when it has no vector. */
  closest(word: string, avoid: ReadonlySet<string>): string | undefined {
    return this.ranked(word).find((other) => !avoid.has(other));
  }

  /** Other words by descending cosine with `word` (at most CLOSEST_KEPT), cached per word. */
  private ranked(word: string): string[] {
    let ranked = this.cache.get(word);
    if (!ranked) {
      ranked = this.rank(word);
      this.cache.set(word, ranked);
    }
    return ranked;
  }

  private rank(word: string): string[] {
    const vector = this.vectors.get(word);
    if (!vector) return [];
    const dots = new Map<string, number>();
    for (const [context, weight] of vector) {
      for (const other of this.postings.get(context) ?? []) {
        if (other === word) continue;
        dots.set(other, (dots.get(other) ?? 0) + weight * (this.vectors.get(other)?.get(context) ?? 0));
      }
    }
    const norm = this.norms.get(word) as number;
    return [...dots]
      .map(([other, dot]) => ({ other, score: dot / (norm * (this.norms.get(other) as number)) }))
      .filter((entry) => entry.score > 0)
      .sort((a, b) => b.score - a.score || (a.other < b.other ? -1 : 1))
      .slice(0, CLOSEST_KEPT)
      .map((entry) => entry.other);
  }
}
