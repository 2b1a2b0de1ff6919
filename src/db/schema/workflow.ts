import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { proposals } from './proposals.js';
import { units } from './units.js';
import { users } from './accounts.js';

export const OUTCOMES = [
  'uwzgledniona',
  'czesciowo-uwzgledniona',
  'nieuwzgledniona',
  'juz-realizowana',
  'do-dalszej-analizy',
  'poza-zakresem',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What a position recorded by the office on a unit's behalf rests on: a letter, an e-mail, a meeting note. */
export const BASIS_KINDS = ['pismo', 'e-mail', 'notatka'] as const;
export type BasisKind = (typeof BASIS_KINDS)[number];

export type CitedPosition = {
  positionId: number;
  unitId: number;
  unitName: string;
  outcome: Outcome;
  justification: string;
  submittedAt: string;
  /** recorded by the office on the unit's behalf (absent in decisions published before this was kept) */
  onBehalf?: boolean;
  basisKind?: BasisKind | null;
  basisDate?: string | null;
};

/** A unit asked for its position on a proposal; one per (proposal, unit). */
export const assignments = sqliteTable(
  'assignments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    proposalId: integer('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    lead: integer('lead', { mode: 'boolean' }).notNull().default(false),
    /** Calendar date YYYY-MM-DD by which the position is due. */
    dueDate: text('due_date').notNull(),
    createdAt: text('created_at').notNull(),
    createdBy: integer('created_by').references(() => users.id),
  },
  (t) => [
    uniqueIndex('assignments_proposal_unit_uq').on(t.proposalId, t.unitId),
    index('assignments_unit_idx').on(t.unitId),
    index('assignments_due_idx').on(t.dueDate),
  ],
);

/** A unit's position; the current text lives here, every submitted version in positionVersions. */
export const positions = sqliteTable(
  'positions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    proposalId: integer('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id),
    outcome: text('outcome', { enum: OUTCOMES }),
    justification: text('justification').notNull().default(''),
    /** null while only a draft exists */
    submittedAt: text('submitted_at'),
    version: integer('version').notNull().default(1),
    updatedAt: text('updated_at').notNull(),
    updatedBy: integer('updated_by').references(() => users.id),
    /** the basis the office's draft names (a position recorded on a unit's behalf); null otherwise */
    basisKind: text('basis_kind', { enum: BASIS_KINDS }),
    basisDate: text('basis_date'),
  },
  (t) => [uniqueIndex('positions_proposal_unit_uq').on(t.proposalId, t.unitId)],
);

export const positionVersions = sqliteTable(
  'position_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    positionId: integer('position_id')
      .notNull()
      .references(() => positions.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    outcome: text('outcome', { enum: OUTCOMES }).notNull(),
    justification: text('justification').notNull(),
    submittedAt: text('submitted_at').notNull(),
    /** who submitted it: the unit's member, or the office's admin who recorded it */
    submittedBy: integer('submitted_by').references(() => users.id),
    /** recorded by the office on the unit's behalf, from what the unit sent (basisKind of basisDate) */
    onBehalf: integer('on_behalf', { mode: 'boolean' }).notNull().default(false),
    basisKind: text('basis_kind', { enum: BASIS_KINDS }),
    /** calendar date YYYY-MM-DD of the letter, e-mail or meeting */
    basisDate: text('basis_date'),
  },
  (t) => [uniqueIndex('position_versions_position_number_uq').on(t.positionId, t.number)],
);

/** Published decisions; a reopened proposal keeps its old decision with retractedAt set. */
export const decisions = sqliteTable(
  'decisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    proposalId: integer('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    outcome: text('outcome', { enum: OUTCOMES }).notNull(),
    text: text('text').notNull(),
    /** The positions the decision cites, as they stood when it was published (made public with it). */
    citedPositions: text('cited_positions', { mode: 'json' }).$type<CitedPosition[]>().notNull(),
    publishedAt: text('published_at').notNull(),
    publishedBy: integer('published_by').references(() => users.id),
    retractedAt: text('retracted_at'),
  },
  (t) => [index('decisions_proposal_idx').on(t.proposalId)],
);

export const EVENT_TYPES = [
  'assignment.added',
  'assignment.removed',
  'assignment.changed',
  'position.submitted',
  'position.revised',
  'position.published',
  'decision.published',
  'status.changed',
  'metadata.corrected',
  'duplicate.marked',
  'duplicate.unmarked',
  'note.added',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Everything that happened to a proposal: who, when, what before and after. */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    proposalId: integer('proposal_id')
      .notNull()
      .references(() => proposals.id, { onDelete: 'cascade' }),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    /** shown on the public timeline */
    public: integer('public', { mode: 'boolean' }).notNull(),
    actorId: integer('actor_id').references(() => users.id),
    before: text('before', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    after: text('after', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    /** reason or note text */
    note: text('note').notNull().default(''),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('events_proposal_idx').on(t.proposalId, t.id), index('events_public_idx').on(t.public, t.id)],
);
