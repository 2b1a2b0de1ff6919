import { sql } from 'drizzle-orm';
import { meta } from './schema/index.js';
import type { DbOrTx } from './client.js';

/** Every write that public pages show bumps this inside its own transaction; caches key on it. */
export function bumpDataVersion(tx: DbOrTx): void {
  tx.insert(meta)
    .values({ key: 'data_version', value: 1 })
    .onConflictDoUpdate({ target: meta.key, set: { value: sql`${meta.value} + 1` } })
    .run();
}

export function readDataVersion(tx: DbOrTx): number {
  return tx.select({ value: meta.value }).from(meta).where(sql`${meta.key} = 'data_version'`).get()?.value ?? 0;
}
