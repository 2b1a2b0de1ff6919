import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

/**
 * `column IN` the ids passed as one JSON array parameter named `ids`: the statement's text does not depend on
 * how many ids there are, so it is prepared once per connection (see preparedQuery) and has no parameter limit.
 */
export function inIds(column: SQL | AnyColumn): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${sql.placeholder('ids')}))`;
}

const statementCache = new WeakMap<object, Map<string, unknown>>();

/**
 * The statement `key` names (unique across the app), built by `build` and prepared the first time this
 * connection (or transaction handle) asks for it, instead of built and compiled on every call. Its values
 * are bound to named placeholders (sql.placeholder) when it runs.
 */
export function preparedQuery<Q extends { prepare: () => unknown }>(
  db: object,
  key: string,
  build: () => Q,
): ReturnType<Q['prepare']> {
  let byKey = statementCache.get(db);
  if (!byKey) {
    byKey = new Map();
    statementCache.set(db, byKey);
  }
  let statement = byKey.get(key);
  if (!statement) {
    statement = build().prepare();
    byKey.set(key, statement);
  }
  return statement as ReturnType<Q['prepare']>;
}
