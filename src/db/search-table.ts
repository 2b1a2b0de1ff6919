import { sqliteTable, integer, text } from 'drizzle-orm/sqlite-core';

/**
 * The FTS5 virtual table created by migration 0001 (drizzle-kit cannot express virtual tables,
 * so this declaration lives outside src/db/schema and only lets drizzle write to it).
 */
export const proposalSearch = sqliteTable('proposal_search', {
  rowid: integer('rowid').primaryKey(),
  body: text('body').notNull(),
});
