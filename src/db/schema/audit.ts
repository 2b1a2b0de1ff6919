import { sqliteTable, integer, text, index } from 'drizzle-orm/sqlite-core';
import { users } from './accounts.js';

/** Changes to accounts and the unit directory: who, when, what (admins read it). */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** null: the command line (npm run user:add) or the system */
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    /** e.g. 'account.created', 'account.updated', 'account.password-changed', 'unit.updated' */
    action: text('action').notNull(),
    subjectType: text('subject_type', { enum: ['account', 'unit', 'consultation'] }).notNull(),
    subjectId: integer('subject_id'),
    /** a readable label of the subject at the time (e-mail, unit name) */
    subjectLabel: text('subject_label').notNull().default(''),
    before: text('before', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    after: text('after', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);
