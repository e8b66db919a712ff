/**
 * Heuristic parser of UniSRec-style item text, `Title. Category path words. Brand. `, where the
 * category path is the Amazon category entries joined by spaces with no separator between them.
 *
 * Rules, in order:
 * 1. The category root (e.g. 'Industrial & Scientific') is learned as the longest word prefix
 *    that at least 90% of the naive category segments share and extend by at least one word.
 * 2. The category segment starts at the LAST '. <root>' of the text, because titles may contain
 *    '. ' (e.g. 'Mr. Heater') and even the root itself. Category entries never contain '. ', so the
 *    segment ends at the next '. ' and the brand is everything after it (brands may contain '. ').
 *    A text with an empty segment ('Title. . Brand.') has no category. Without either form, the
 *    text splits naively on its last two '. '.
 * 3. `ItemMeta.category` is the whole path after the root, which is exact. Entry boundaries,
 *    used for tags, are guessed from the word trie of all paths: a path splits after a word
 *    where some other path branches off or ends.
 *    NOTE: two sibling entries that share a first word ('Lab Tubes', 'Lab Bottles & Jars') get
 *    split after that word. The full path stays exact in `path`.
 */

/** Parsed parts of one item text; '' when a part is absent. */
export interface ParsedItemText {
  title: string;
  /** Category path after the root, words as in the text. */
  path: string;
  brand: string;
}

const ROOT_SHARE = 0.9;

/** Learns the category root shared by nearly all texts ('' when there is none). */
export function learnCategoryRoot(texts: readonly string[]): string {
  const segments = texts.map((text) => naiveSplit(text).path.split(' ').filter(Boolean)).filter((words) => words.length > 0);
  const root: string[] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const words of segments) {
      // A root must leave at least one word of path, so a catalog of one leaf category keeps it.
      if (root.every((word, i) => words[i] === word) && words.length > root.length + 1) {
        counts.set(words[root.length], (counts.get(words[root.length]) ?? 0) + 1);
      }
    }
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    if (best === undefined || best[1] < ROOT_SHARE * segments.length) return root.join(' ');
    root.push(best[0]);
  }
}

/** Splits one item text into title, category path (root removed) and brand. */
export function parseItemText(text: string, root: string): ParsedItemText {
  const body = stripFinalPeriod(text);
  const marker = root === '' ? -1 : body.lastIndexOf(`. ${root}`);
  if (marker >= 0) {
    const rest = body.slice(marker + 2 + root.length).trimStart();
    const end = rest.indexOf('. ');
    const path = end < 0 ? rest : rest.slice(0, end);
    return { title: body.slice(0, marker).trim(), path: path.trim(), brand: end < 0 ? '' : rest.slice(end + 2).trim() };
  }

  const empty = body.lastIndexOf('. . ');
  if (empty >= 0) return { title: body.slice(0, empty).trim(), path: '', brand: body.slice(empty + 4).trim() };

  const naive = naiveSplit(text);
  const path = root !== '' && naive.path.startsWith(root) ? naive.path.slice(root.length).trim() : naive.path;
  return { ...naive, path };
}

/** Splits category paths into entries with the word-trie rule (see the file header). */
export function splitCategoryPaths(paths: readonly string[]): string[][] {
  const words = paths.map((path) => path.split(' ').filter(Boolean));
  const children = new Map<string, Set<string>>();
  const ends = new Set<string>();
  for (const path of words) {
    for (let i = 0; i < path.length; i++) {
      const prefix = path.slice(0, i).join(' ');
      if (!children.has(prefix)) children.set(prefix, new Set());
      children.get(prefix)?.add(path[i]);
    }
    ends.add(path.join(' '));
  }
  return words.map((path) => {
    const entries: string[] = [];
    let start = 0;
    for (let i = 1; i <= path.length; i++) {
      const prefix = path.slice(0, i).join(' ');
      const branches = (children.get(prefix)?.size ?? 0) > 1 || (ends.has(prefix) && i < path.length);
      if (i === path.length || branches) {
        entries.push(path.slice(start, i).join(' '));
        start = i;
      }
    }
    return entries;
  });
}

function stripFinalPeriod(text: string): string {
  const trimmed = text.trim();
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

function naiveSplit(text: string): ParsedItemText {
  const parts = stripFinalPeriod(text).split('. ');
  const brand = parts.length > 1 ? (parts.pop() as string) : '';
  const path = parts.length > 1 ? (parts.pop() as string) : '';
  return { title: parts.join('. ').trim(), path: path.trim(), brand: brand.trim() };
}
