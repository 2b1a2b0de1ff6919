import { sqliteTable, integer, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core';
import { consultations } from './consultations.js';
import { users } from './accounts.js';

/**
 * The header of a consultation's report ("sposób rozpatrzenia" / course of the consultation, art. 5a ust. 4 pkt 10
 * of the act on public benefit activity): fields the office edits once per consultation.
 */
export const consultationReports = sqliteTable(
  'consultation_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    consultationId: integer('consultation_id')
      .notNull()
      .references(() => consultations.id, { onDelete: 'cascade' }),
    /** legal basis, e.g. the council resolution on consultations */
    legalBasis: text('legal_basis').notNull().default(''),
    /** YYYY-MM-DD */
    startDate: text('start_date'),
    endDate: text('end_date'),
    /** form of the consultation, e.g. "spotkanie konsultacyjne (warsztat przy stolikach tematycznych)" */
    form: text('form').notNull().default(''),
    /** where it was announced (BIP, the city's website…) */
    announcedIn: text('announced_in').notNull().default(''),
    /** free text: further remarks on the course of the consultation */
    remarks: text('remarks').notNull().default(''),
    /** the sign-off under the report: who prepared it, who approved it (name and post) and when (YYYY-MM-DD) */
    preparedBy: text('prepared_by').notNull().default(''),
    approvedBy: text('approved_by').notNull().default(''),
    approvedOn: text('approved_on'),
    updatedAt: text('updated_at').notNull(),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [uniqueIndex('consultation_reports_consultation_uq').on(t.consultationId)],
);

/** The RDPP's opinion on a consultation, recorded by an admin; shown in the report. */
export const rdppOpinions = sqliteTable(
  'rdpp_opinions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    consultationId: integer('consultation_id')
      .notNull()
      .references(() => consultations.id, { onDelete: 'cascade' }),
    /** YYYY-MM-DD of the opinion */
    date: text('date').notNull(),
    text: text('text').notNull(),
    /** name of an attached document (the file itself is not stored) */
    attachmentName: text('attachment_name').notNull().default(''),
    createdAt: text('created_at').notNull(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [index('rdpp_opinions_consultation_idx').on(t.consultationId, t.date)],
);
