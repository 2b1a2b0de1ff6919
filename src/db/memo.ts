import type { Db } from './client.js';
import { readDataVersion } from './version.js';

/** Distinct values kept per version at most (a few per consultation and unit in practice). */
const MAX_KEYS = 1000;

type Memo = { version: number; values: Map<string, unknown> };
const memos = new WeakMap<object, Memo>();

/**
 * A value computed from the database once per data version (every write public pages show bumps it, so
 * this is exactly as fresh as the page cache): the consultation, its workshop tables, the unit list and
 * the like, which every list and search page reads and few writes change. The value is shared by every
 * request of that version: callers must not change it.
 */
export function perDataVersion<T>(db: Db, key: string, compute: () => T): T {
  const version = readDataVersion(db);
  let memo = memos.get(db);
  if (!memo || memo.version !== version) {
    memo = { version, values: new Map() };
    memos.set(db, memo);
  }
  if (memo.values.has(key)) return memo.values.get(key) as T;
  const value = compute();
  // keys come from validated parameters (a slug, an id), but a stream of distinct ones must not grow it
  if (memo.values.size >= MAX_KEYS) memo.values.clear();
  memo.values.set(key, value);
  return value;
}
