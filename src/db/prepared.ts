import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

/**
 * `column IN` the ids passed as one JSON array parameter named `ids`: the statement's text does not depend on
 * how many ids there are, so it is prepared once per connection (see preparedOn) and has no parameter limit.
 */
export function inIds(column: SQL | AnyColumn): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${sql.placeholder('ids')}))`;
}

/** A statement prepared once per connection (or transaction handle) instead of built and compiled per call. */
export function preparedOn<T>(cache: WeakMap<object, T>, db: object, make: () => T): T {
  let statement = cache.get(db);
  if (!statement) {
    statement = make();
    cache.set(db, statement);
  }
  return statement;
}
