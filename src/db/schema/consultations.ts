import { sqliteTable, integer, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const consultations = sqliteTable(
  'consultations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [uniqueIndex('consultations_slug_uq').on(t.slug)],
);

export const workshopTables = sqliteTable(
  'workshop_tables',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    consultationId: integer('consultation_id')
      .notNull()
      .references(() => consultations.id),
    number: integer('number').notNull(),
    /** Theme as legible in the source; "[…]" marks an illegible part, "" = wholly illegible. */
    theme: text('theme').notNull(),
    themeLegible: integer('theme_legible', { mode: 'boolean' }).notNull(),
    /** JSON array of "Name – Affiliation" strings. */
    moderators: text('moderators', { mode: 'json' }).$type<string[]>().notNull(),
  },
  (t) => [uniqueIndex('workshop_tables_consultation_number_uq').on(t.consultationId, t.number)],
);

/** Single-row counters; `data_version` is bumped by every write that public pages show. */
export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});
