import { sqliteTable, integer, text, uniqueIndex, primaryKey, index } from 'drizzle-orm/sqlite-core';
import { consultations, workshopTables } from './consultations.js';
import { units } from './units.js';

export const PROPOSAL_STATUSES = [
  'nowa',
  'przekazana',
  'stanowiska-zebrane',
  'rozstrzygnieta',
  'w-realizacji',
  'zrealizowana',
  'duplikat',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const proposals = sqliteTable(
  'proposals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    consultationId: integer('consultation_id')
      .notNull()
      .references(() => consultations.id),
    lp: integer('lp').notNull(),
    lpDeduced: integer('lp_deduced', { mode: 'boolean' }).notNull(),
    /** false: the source shows no row for this LP (kept so the gap is visible, never filled in). */
    inSource: integer('in_source', { mode: 'boolean' }).notNull(),
    workshopTableId: integer('workshop_table_id').references(() => workshopTables.id),
    title: text('title').notNull(),
    /** Sub-points, one per entry; an entry ending with ":" is a sub-heading. */
    points: text('points', { mode: 'json' }).$type<string[]>().notNull(),
    remarks: text('remarks', { mode: 'json' }).$type<string[]>().notNull(),
    sourceNotes: text('source_notes', { mode: 'json' }).$type<string[]>().notNull(),
    status: text('status', { enum: PROPOSAL_STATUSES }).notNull().default('nowa'),
    /** Set while the proposal is closed as a duplicate of another. */
    duplicateOfId: integer('duplicate_of_id'),
    /** Optimistic-locking counter, bumped on every change. */
    version: integer('version').notNull().default(1),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('proposals_consultation_lp_uq').on(t.consultationId, t.lp),
    // the public list and its count walk (consultation, in the source) in LP order without touching rows
    index('proposals_consultation_source_lp_idx').on(t.consultationId, t.inSource, t.lp),
    index('proposals_status_idx').on(t.consultationId, t.status),
    index('proposals_table_idx').on(t.workshopTableId),
  ],
);

/** The units and unit groups a proposal's source row names, in source order. */
export const proposalUnits = sqliteTable(
  'proposal_units',
  {
    proposalId: integer('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    ordinal: integer('ordinal').notNull(),
  },
  (t) => [primaryKey({ columns: [t.proposalId, t.unitId] }), index('proposal_units_unit_idx').on(t.unitId)],
);
