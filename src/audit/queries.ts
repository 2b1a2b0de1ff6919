import { type AnyColumn, and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { auditLog, events, proposals, users } from '../db/schema/index.js';
import { eventAction, isProposalAction, type LogAction } from './actions.js';

/** Which entries the log shows: who acted (`system`: the command line or start-up), what, and when. */
export type LogFilter = {
  actor?: number | 'system';
  action?: LogAction;
  /** ISO instant, inclusive */
  since?: string;
  /** ISO instant, exclusive */
  until?: string;
};

/** One entry: a change to a proposal (the events it wrote at one instant) or one row of the account audit. */
export type LogEntry = {
  source: 'proposal' | 'account';
  id: number;
  createdAt: string;
  actorId: number | null;
  subjectId: number | null;
  /** the events of a change to a proposal, in the order written (null for an account entry) */
  eventIds: number[] | null;
};

const json = (ids: number[]) => JSON.stringify(ids);
const within = (column: AnyColumn, ids: number[]) => sql`${column} IN (SELECT value FROM json_each(${json(ids)}))`;

function conditions(columns: { actorId: AnyColumn; createdAt: AnyColumn }, f: LogFilter): SQL {
  const parts: (SQL | undefined)[] = [
    f.actor === 'system' ? isNull(columns.actorId) : f.actor !== undefined ? eq(columns.actorId, f.actor) : undefined,
    f.since ? sql`${columns.createdAt} >= ${f.since}` : undefined,
    f.until ? sql`${columns.createdAt} < ${f.until}` : undefined,
  ];
  return and(...parts) ?? sql`1`;
}

/**
 * Both kinds of entry as one list: a change to a proposal writes all its events at one instant
 * (changeProposal), so the events of one proposal, actor and instant are one entry; filtered by action it is an
 * entry with an event of that action. Columns: source, id, created_at, actor_id, subject_id, event_ids.
 */
function entries(f: LogFilter): SQL {
  const forProposals = f.action === undefined || isProposalAction(f.action);
  const forAccounts = f.action === undefined || !isProposalAction(f.action);
  const having = f.action && forProposals ? sql`HAVING max(ev.action = ${f.action}) = 1` : sql``;
  const work = sql`SELECT 'proposal' AS source, min(ev.id) AS id, ev.created_at AS created_at,
      ev.actor_id AS actor_id, ev.proposal_id AS subject_id, json_group_array(ev.id) AS event_ids
    FROM (
      SELECT ${events.id} AS id, ${events.proposalId} AS proposal_id, ${events.createdAt} AS created_at,
        ${events.actorId} AS actor_id, ${eventAction} AS action
      FROM ${events}
      WHERE ${forProposals ? conditions(events, f) : sql`0`}
    ) AS ev
    GROUP BY ev.proposal_id, ev.created_at, ev.actor_id ${having}`;
  const accounts = sql`SELECT 'account', ${auditLog.id}, ${auditLog.createdAt}, ${auditLog.actorId},
      ${auditLog.subjectId}, NULL
    FROM ${auditLog}
    WHERE ${forAccounts ? conditions(auditLog, f) : sql`0`}
      ${f.action && forAccounts ? sql`AND ${auditLog.action} = ${f.action}` : sql``}`;
  return sql`${work} UNION ALL ${accounts}`;
}

type EntryRow = {
  source: 'proposal' | 'account';
  id: number;
  created_at: string;
  actor_id: number | null;
  subject_id: number | null;
  event_ids: string | null;
};

export function countLog(db: DbOrTx, f: LogFilter): number {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM (${entries(f)})`)?.n ?? 0;
}

/** Newest first; a page of them (`page`), or all. */
export function listLog(db: DbOrTx, f: LogFilter, page?: { limit: number; offset: number }): LogEntry[] {
  const slice = page ? sql`LIMIT ${page.limit} OFFSET ${page.offset}` : sql``;
  const rows = db.all<EntryRow>(
    sql`SELECT * FROM (${entries(f)}) ORDER BY created_at DESC, source DESC, id DESC ${slice}`,
  );
  return rows.map((r) => ({
    source: r.source,
    id: r.id,
    createdAt: r.created_at,
    actorId: r.actor_id,
    subjectId: r.subject_id,
    eventIds: r.event_ids === null ? null : (JSON.parse(r.event_ids) as number[]).sort((a, b) => a - b),
  }));
}

export type LogEvent = {
  id: number;
  proposalId: number;
  type: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  note: string;
  lp: number;
  title: string;
};

/** The events of these ids with their action and their proposal's LP and title. */
export function logEvents(db: DbOrTx, ids: number[]): Map<number, LogEvent> {
  if (!ids.length) return new Map();
  const rows = db
    .select({
      id: events.id,
      proposalId: events.proposalId,
      type: events.type,
      action: eventAction,
      before: events.before,
      after: events.after,
      note: events.note,
      lp: proposals.lp,
      title: proposals.title,
    })
    .from(events)
    .innerJoin(proposals, eq(proposals.id, events.proposalId))
    .where(within(events.id, ids))
    .orderBy(asc(events.id))
    .all();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The account audit rows of these ids. */
export function auditRows(db: DbOrTx, ids: number[]) {
  const rows = !ids.length
    ? []
    : db
        .select({
          id: auditLog.id,
          action: auditLog.action,
          subjectType: auditLog.subjectType,
          subjectId: auditLog.subjectId,
          subjectLabel: auditLog.subjectLabel,
          before: auditLog.before,
          after: auditLog.after,
          createdAt: auditLog.createdAt,
          actorId: auditLog.actorId,
        })
        .from(auditLog)
        .where(within(auditLog.id, ids))
        .all();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Every account, for the "who" filter and to name the actors (by e-mail, as the log shows them). */
export function logPeople(db: DbOrTx) {
  return db.select({ id: users.id, email: users.email, name: users.name }).from(users).orderBy(asc(users.email)).all();
}
