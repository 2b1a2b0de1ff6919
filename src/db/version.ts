import { sql } from 'drizzle-orm';
import { meta } from './schema/index.js';
import type { Db, DbOrTx } from './client.js';

/** Every write that public pages show bumps this inside its own transaction; caches key on it. */
export function bumpDataVersion(tx: DbOrTx): void {
  tx.insert(meta)
    .values({ key: 'data_version', value: 1 })
    .onConflictDoUpdate({ target: meta.key, set: { value: sql`${meta.value} + 1` } })
    .run();
}

// read on every public request: prepared once per connection, not rebuilt and recompiled each time
const prepared = new WeakMap<object, { get: () => { value: number } | undefined }>();

export function readDataVersion(db: Db): number {
  let statement = prepared.get(db);
  if (!statement) {
    statement = db.select({ value: meta.value }).from(meta).where(sql`${meta.key} = 'data_version'`).prepare();
    prepared.set(db, statement);
  }
  return statement.get()?.value ?? 0;
}
