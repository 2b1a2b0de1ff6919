import { sqliteTable, integer, text, uniqueIndex, primaryKey, index } from 'drizzle-orm/sqlite-core';

export const UNIT_KINDS = ['wydział', 'biuro', 'jednostka', 'spółka', 'pełnomocnik', 'grupa'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** The directory of responsible units; kind "grupa" is a unit group (collective addressee). */
export const units = sqliteTable(
  'units',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    kind: text('kind', { enum: UNIT_KINDS }).notNull(),
    email: text('email').notNull().default(''),
  },
  (t) => [uniqueIndex('units_name_uq').on(t.name), uniqueIndex('units_slug_uq').on(t.slug)],
);

export const unitGroupMembers = sqliteTable(
  'unit_group_members',
  {
    groupId: integer('group_id')
      .notNull()
      .references(() => units.id, { onDelete: 'cascade' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.unitId] }), index('unit_group_members_unit_idx').on(t.unitId)],
);

/**
 * Slugs units had before a rename: links to them (in mails already sent, bookmarks, other sites) are redirected
 * (301) to the unit's current slug. A former slug is never given to another unit, so an old link keeps meaning
 * the unit it meant; renaming a unit back makes its own former slug current again.
 */
export const unitFormerSlugs = sqliteTable(
  'unit_former_slugs',
  {
    slug: text('slug').primaryKey(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'cascade' }),
    retiredAt: text('retired_at').notNull(),
  },
  (t) => [index('unit_former_slugs_unit_idx').on(t.unitId)],
);
