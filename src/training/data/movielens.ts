/**
 * Adapter for the MovieLens-100K release files: `u.data` (tab separated
 * `user item rating unix_seconds`) and `u.item` (`|` separated, latin-1, 19 genre flags).
 *
 * Every rating is an implicit 'view' event, whatever its value. Items are indexed in ascending
 * movie id order, and the public item id is the movie id as a string. Genres become tags, and the
 * category is the first flagged genre. Half of all ratings share a timestamp with an earlier
 * rating of the same user, so each user's events are sorted by a stable sort on timestamp, which
 * keeps u.data's line order among ties.
 */
import { join } from 'node:path';
import type { ItemMeta } from '../../core/types.js';
import type { Dataset, UserSequence } from './dataset.js';
import { dataError, parseIntField, readDataFile, splitLines } from './files.js';

/** Genre flag order of u.item (as listed in u.genre of the release). */
export const MOVIELENS_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** Loads MovieLens-100K from `dir` (files u.data and u.item). */
export async function loadMovieLens(dir: string, name = 'ml-100k'): Promise<Dataset> {
  const movies = parseItems(await readDataFile(dir, 'u.item', 'latin1'), join(dir, 'u.item'));
  const ratings = parseRatings(await readDataFile(dir, 'u.data'), join(dir, 'u.data'));

  const index = new Map(movies.map((movie, i) => [movie.id, i]));
  const byUser = new Map<number, Rating[]>();
  for (const rating of ratings) {
    if (!index.has(String(rating.item))) throw dataError(join(dir, 'u.data'), 'item ids listed in u.item', `item ${rating.item} on line ${rating.line}`);
    const list = byUser.get(rating.user) ?? [];
    list.push(rating);
    byUser.set(rating.user, list);
  }

  const sequences = [...byUser.keys()].sort((a, b) => a - b).map((user) => toSequence(user, byUser.get(user) as Rating[], index));
  return {
    name,
    items: movies,
    itemText: movies.map((movie) => [movie.title, ...(movie.tags ?? [])].join('. ')),
    sequences,
    hasTimestamps: true,
    orderNote: 'Each user sorted by timestamp with a stable sort, so ratings with equal timestamps keep their u.data line order.',
  };
}

interface Rating {
  user: number;
  item: number;
  seconds: number;
  line: number;
}

function parseRatings(text: string, path: string): Rating[] {
  return splitLines(text).map((line, i) => {
    const [user, item, , seconds] = line.split('\t');
    return {
      user: parseIntField(user, path, i + 1, 'user_id'),
      item: parseIntField(item, path, i + 1, 'item_id'),
      seconds: parseIntField(seconds, path, i + 1, 'timestamp'),
      line: i + 1,
    };
  });
}

function parseItems(text: string, path: string): ItemMeta[] {
  const movies = splitLines(text).map((line, i): ItemMeta => {
    const fields = line.split('|');
    if (fields.length !== 5 + MOVIELENS_GENRES.length) {
      throw dataError(path, `${5 + MOVIELENS_GENRES.length} '|' separated fields on line ${i + 1}`, `${fields.length} fields`);
    }
    const id = String(parseIntField(fields[0], path, i + 1, 'movie_id'));
    const genres = MOVIELENS_GENRES.filter((_, g) => fields[5 + g] === '1');
    return { id, title: fields[1], ...(genres.length > 0 ? { category: genres[0] } : {}), tags: [...genres] };
  });
  return movies.sort((a, b) => Number(a.id) - Number(b.id));
}

function toSequence(user: number, ratings: Rating[], index: ReadonlyMap<string, number>): UserSequence {
  // Array.prototype.sort is stable (ES2019), so equal timestamps keep their line order.
  const sorted = [...ratings].sort((a, b) => a.seconds - b.seconds);
  return {
    user: String(user),
    items: Int32Array.from(sorted, (rating) => index.get(String(rating.item)) as number),
    timestamps: Float64Array.from(sorted, (rating) => rating.seconds * 1000),
  };
}
