import { sql } from 'drizzle-orm';
import type BetterSqlite3 from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import type { MailConfig } from '../config.js';
import type { Db } from '../db/client.js';
import type { Mailer, OutgoingMail } from '../plugins/mail.js';
import { randomBytes } from 'node:crypto';
import { mintTokens, type TokenInput } from '../subscriptions/tokens.js';
import { backoffSeconds, classifyFailure, describeFailure } from './delivery.js';
import { FORGET_RECIPIENT, outboxRow, rowsSentWith, type OutboxRow, type SubscriptionRef } from './queries.js';
import { composeMail, primeSubscriptions, type MailGroup, type RenderContext } from './render.js';
import { enqueueWeeklyReminders } from './reminders.js';

export type RunCounts = {
  /** mails accepted by the server (or written to a file) */
  sent: number;
  /** outbox rows those mails covered */
  rows: number;
  /** mails that failed and will be retried */
  retrying: number;
  /** mails given up on (permanent failure or too many attempts) */
  dead: number;
  /** rows dropped unsent: their address stopped following before the mail left */
  dropped: number;
};

export type MailWorker = {
  /** Sends every mail due at `now` (claiming batch after batch until none is left) and returns what happened. */
  runOnce(now?: Date): Promise<RunCounts>;
  /** Retention and clean-up: old sent rows forget their address, expired tokens go. */
  housekeep(now?: Date): void;
  /** The Monday reminder to unit staff (idempotent per ISO week and address). Returns rows enqueued. */
  enqueueReminders(now?: Date): number;
  /** The mail an outbox row is (or was) sent as, with placeholder tokens: for the "Poczta" preview. */
  preview(rowId: number): { row: OutboxRow; mail: ReturnType<typeof composeMail> } | undefined;
  /** Stops claiming further batches (the app is closing). */
  stop(): void;
};

export type WorkerOptions = {
  db: Db;
  /** the connection under `db`: the statements the worker runs per mail are prepared on it once */
  sqlite: BetterSqlite3.Database;
  mailer: Mailer;
  config: MailConfig;
  baseUrl: string;
  log?: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  batchSize?: number;
  /** mails in flight at once (the SMTP pool keeps its own connection limit) */
  concurrency?: number;
};

/** Not a real token: previews must never create working links. */
export const PREVIEW_TOKEN = 'podglad-bez-prawdziwego-linku';

const HOUSEKEEPING_EVERY_MS = 10 * 60_000;
/** A row whose events are not public (never expected): given up on at once, never mailed. */
const NOTHING_PUBLIC = { responseCode: 554, message: 'Brak publicznej treści do wysłania.' };

/** Stands for a token while a batch renders; random per process, so no text of a mail can contain it by chance. */
const TOKEN_PLACEHOLDER = `tokenplaceholder${randomBytes(8).toString('hex')}`;

function fillTokens(mail: OutgoingMail, placeholders: string[], tokens: string[]) {
  const fill = (s: string) => {
    placeholders.forEach((p, i) => {
      if (s.includes(p)) s = s.split(p).join(tokens[i]!);
    });
    return s;
  };
  mail.subject = fill(mail.subject);
  mail.text = fill(mail.text);
  mail.html = fill(mail.html);
  for (const [name, value] of Object.entries(mail.headers)) mail.headers[name] = fill(value);
}

export function createMailWorker(opts: WorkerOptions): MailWorker {
  const { db, sqlite, mailer, config } = opts;
  // a worker killed mid-batch leaves rows that are claimed again after their lease
  const leaseMs = config.leaseSeconds * 1000;
  const batchSize = opts.batchSize ?? 200;
  const concurrency = opts.concurrency ?? 20;
  let stopped = false;
  let lastHousekeeping = 0;

  const baseContext = { baseUrl: opts.baseUrl, from: config.from, replyTo: config.replyTo };

  /**
   * Claims due rows with a lease in one BEGIN IMMEDIATE transaction. A subscriber row is due once its coalescing
   * window has passed; it takes along every queued subscriber row of the same recipient and proposal (one mail),
   * a digest row every due digest row of its recipient, a staff-assigned row those of its recipient and proposal.
   */
  function claim(now: Date): OutboxRow[] {
    const nowIso = now.toISOString();
    const coalesceCut = new Date(now.getTime() - config.coalesceSeconds * 1000).toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const free = sql.raw(`state = 'queued'`);
    return db
      .transaction(
        (tx) =>
          tx.all<OutboxRow & { payload: string }>(sql`
      WITH seed AS (
        SELECT id, kind, recipient, proposal_id FROM outbox
        WHERE ${free} AND available_at <= ${nowIso} AND (locked_until IS NULL OR locked_until < ${nowIso})
          AND (kind <> 'subscriber' OR created_at <= ${coalesceCut})
        ORDER BY id LIMIT ${batchSize}
      )
      UPDATE outbox SET locked_until = ${until}
      WHERE id IN (
        SELECT id FROM seed
        UNION
        SELECT o.id FROM seed s JOIN outbox o ON o.recipient = s.recipient AND o.kind = s.kind
          AND (s.kind = 'digest' OR o.proposal_id IS s.proposal_id)
        WHERE s.kind IN ('subscriber', 'digest', 'staff-assigned') AND o.${free}
          AND (o.locked_until IS NULL OR o.locked_until < ${nowIso})
          AND (o.kind = 'subscriber' OR o.available_at <= ${nowIso})
      )
      RETURNING id, kind, recipient, subscription_id AS subscriptionId, proposal_id AS proposalId,
        event_id AS eventId, payload, state, attempts, available_at AS availableAt, message_id AS messageId,
        created_at AS createdAt`),
        { behavior: 'immediate' },
      )
      .map((r) => ({ ...r, payload: JSON.parse(r.payload || '{}') as Record<string, unknown> }))
      .sort((a, b) => a.id - b.id);
  }

  function groupRows(rows: OutboxRow[]): MailGroup[] {
    const groups = new Map<string, MailGroup>();
    for (const r of rows) {
      const key =
        r.kind === 'subscriber' || r.kind === 'staff-assigned'
          ? `${r.kind}|${r.recipient}|${r.proposalId}`
          : r.kind === 'digest'
            ? `digest|${r.recipient}`
            : `row|${r.id}`;
      const g = groups.get(key);
      if (g) g.rows.push(r);
      else groups.set(key, { kind: r.kind, recipient: r.recipient, rows: [r] });
    }
    return [...groups.values()];
  }

  const inIds = `IN (SELECT value FROM json_each(?))`;
  // prepared once: the worker runs them once per mail (outcomes) or per batch
  const statements = {
    following: sqlite.prepare<
      [string],
      {
        rowId: number;
        id: number | null;
        email: string | null;
        scopeKind: SubscriptionRef['scopeKind'] | null;
        scopeId: number | null;
        frequency: string | null;
        state: string | null;
        wanted: string;
        recipient: string;
      }
    >(`
      SELECT o.id AS rowId, o.recipient, CASE o.kind WHEN 'confirmation' THEN 'pending' ELSE 'confirmed' END AS wanted,
        s.id, s.email, s.scope_kind AS scopeKind, s.scope_id AS scopeId, s.frequency, s.state
      FROM outbox o LEFT JOIN subscriptions s ON s.id = o.subscription_id
      WHERE o.id ${inIds} AND o.kind IN ('subscriber', 'digest', 'confirmation')`),
    dropQueued: sqlite.prepare<[string]>(`DELETE FROM outbox WHERE id ${inIds} AND state = 'queued'`),
    markSent: sqlite.prepare<[string, string, number, string]>(`UPDATE outbox SET state = 'sent', sent_at = ?,
      subject = ?, sent_in_id = ?, locked_until = NULL, last_error = NULL WHERE id ${inIds}`),
    markFailed: sqlite.prepare<[number, string, string, string, string]>(`UPDATE outbox SET attempts = ?,
      last_error = ?, locked_until = NULL, state = ?, available_at = ? WHERE id ${inIds}`),
  };
  const idsJson = (group: MailGroup) => JSON.stringify(group.rows.map((r) => r.id));

  /**
   * An address that stopped following gets nothing, even if rows were queued for it: rows whose subscription is
   * gone (or no longer confirmed, or already confirmed for a confirmation mail) are deleted unsent. One query for
   * the whole batch; the subscriptions it reads are handed to rendering.
   */
  function dropUnsubscribed(groups: MailGroup[], memo: Map<string, unknown>, counts: RunCounts): MailGroup[] {
    const gone = new Set<number>();
    const subs = new Map<number, SubscriptionRef>();
    const ids = groups.flatMap((g) => g.rows.map((r) => r.id));
    for (const r of statements.following.all(JSON.stringify(ids))) {
      if (r.id === null || r.email !== r.recipient || r.state !== r.wanted) gone.add(r.rowId);
      else
        subs.set(r.id, {
          id: r.id,
          email: r.email,
          scopeKind: r.scopeKind!,
          scopeId: r.scopeId!,
          frequency: r.frequency!,
          state: r.state,
        });
    }
    primeSubscriptions(memo, subs.values());
    if (!gone.size) return groups;
    statements.dropQueued.run(JSON.stringify([...gone]));
    counts.dropped += gone.size;
    return groups.map((g) => ({ ...g, rows: g.rows.filter((r) => !gone.has(r.id)) }));
  }

  function markSent(group: MailGroup, subject: string, now: Date) {
    statements.markSent.run(now.toISOString(), subject, group.rows[0]!.id, idsJson(group));
  }

  /** Returns whether the group is now dead. */
  function markFailed(group: MailGroup, err: unknown, now: Date): boolean {
    const permanent = classifyFailure(err) === 'permanent';
    const attempts = Math.max(...group.rows.map((r) => r.attempts)) + 1;
    const dead = permanent || attempts >= config.maxAttempts;
    const retryAt = new Date(now.getTime() + backoffSeconds(attempts, config.retryBaseSeconds) * 1000).toISOString();
    const message = describeFailure(err);
    statements.markFailed.run(attempts, message, dead ? 'dead' : 'queued', retryAt, idsJson(group));
    if (dead) opts.log?.warn({ outboxIds: group.rows.map((r) => r.id), error: message }, 'mail dead');
    return dead;
  }

  type Outcome = { group: MailGroup; subject?: string; error?: unknown };

  /**
   * Records outcomes in one transaction per turn of the event loop rather than one per mail: a mail the server
   * accepted is marked sent within that turn, so a crash repeats at most the mails answered in the same instant.
   */
  function outcomeRecorder(now: Date, counts: RunCounts) {
    let pending: Outcome[] = [];
    let scheduled: Promise<void> | undefined;
    const flush = () => {
      const batch = pending;
      pending = [];
      scheduled = undefined;
      sqlite
        .transaction(() => {
          for (const o of batch) {
            if (o.subject !== undefined) {
              markSent(o.group, o.subject, now);
              counts.sent++;
              counts.rows += o.group.rows.length;
            } else if (markFailed(o.group, o.error, now)) counts.dead++;
            else counts.retrying++;
          }
        })
        .immediate();
    };
    return {
      record(o: Outcome) {
        pending.push(o);
        scheduled ??= new Promise<void>((resolve) =>
          setImmediate(() => {
            flush();
            resolve();
          }),
        );
      },
      async settled() {
        while (scheduled) await scheduled;
      },
    };
  }

  /**
   * Renders a claimed batch in one transaction, then sends it. While rendering, each mail's token source hands out
   * placeholders (the same ones in every mail, so followers of the same events share one rendering); the real
   * tokens are then minted for the whole batch at once (at send time, as before) and put in their places.
   */
  async function deliverBatch(groups: MailGroup[], now: Date, counts: RunCounts) {
    const outcomes = outcomeRecorder(now, counts);
    const ready: { group: MailGroup; mail: OutgoingMail }[] = [];
    const memo = new Map<string, unknown>();
    db.transaction(
      (tx) => {
        const asked: { mail: OutgoingMail; placeholders: string[]; inputs: TokenInput[] }[] = [];
        for (const group of dropUnsubscribed(groups, memo, counts)) {
          if (!group.rows.length) continue;
          const placeholders: string[] = [];
          const inputs: TokenInput[] = [];
          const ctx: RenderContext = {
            ...baseContext,
            memo,
            token: (purpose, email, subscriptionId) => {
              inputs.push({ purpose, email, subscriptionId });
              placeholders.push(`${TOKEN_PLACEHOLDER}${purpose}${placeholders.length}x`);
              return placeholders.at(-1)!;
            },
          };
          try {
            const mail = composeMail(tx, group, ctx);
            if (!mail) {
              outcomes.record({ group, error: NOTHING_PUBLIC });
              continue;
            }
            ready.push({ group, mail });
            if (inputs.length) asked.push({ mail, placeholders, inputs });
          } catch (err) {
            opts.log?.error({ err, outboxIds: group.rows.map((r) => r.id) }, 'mail could not be rendered');
            outcomes.record({ group, error: err });
          }
        }
        const tokens = mintTokens(
          tx,
          asked.flatMap((a) => a.inputs),
          now,
        );
        let t = 0;
        for (const { mail, placeholders } of asked) {
          fillTokens(mail, placeholders, tokens.slice(t, t + placeholders.length));
          t += placeholders.length;
        }
      },
      { behavior: 'immediate' },
    );
    let next = 0;
    const lane = async () => {
      while (next < ready.length) {
        const { group, mail } = ready[next++]!;
        try {
          await mailer.send(mail);
        } catch (err) {
          outcomes.record({ group, error: err });
          continue;
        }
        // HARD BOUNCES: not handled yet. An asynchronous bounce (a DSN arriving later at MAIL_FROM) would be
        // matched to the row by its Message-ID (stored per row), the row marked 'dead' with the bounce reason, and
        // the subscription ended (how: 'bounce') after repeated hard bounces.
        outcomes.record({ group, subject: mail.subject });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ready.length) }, lane));
    await outcomes.settled();
  }

  async function runOnce(now = new Date()): Promise<RunCounts> {
    const counts: RunCounts = { sent: 0, rows: 0, retrying: 0, dead: 0, dropped: 0 };
    if (now.getTime() - lastHousekeeping >= HOUSEKEEPING_EVERY_MS) {
      housekeep(now);
      enqueueReminders(now);
      lastHousekeeping = now.getTime();
    }
    while (!stopped) {
      const rows = claim(now);
      if (!rows.length) break;
      await deliverBatch(groupRows(rows), now, counts);
    }
    return counts;
  }

  function housekeep(now = new Date()) {
    const cutoff = new Date(now.getTime() - config.retentionDays * 86_400_000).toISOString();
    db.run(sql`UPDATE outbox SET ${FORGET_RECIPIENT} WHERE state = 'sent' AND recipient <> '' AND sent_at < ${cutoff}`);
    db.run(sql`DELETE FROM subscriber_tokens WHERE expires_at < ${now.toISOString()}`);
  }

  function enqueueReminders(now = new Date()) {
    return enqueueWeeklyReminders(db, now);
  }

  function preview(rowId: number) {
    const row = outboxRow(db, rowId);
    if (!row) return undefined;
    const rows = rowsSentWith(db, row);
    const group: MailGroup = { kind: row.kind, recipient: row.recipient, rows };
    const ctx: RenderContext = { ...baseContext, token: () => PREVIEW_TOKEN };
    return { row, mail: composeMail(db, group, ctx) };
  }

  return {
    runOnce,
    housekeep,
    enqueueReminders,
    preview,
    stop: () => {
      stopped = true;
    },
  };
}
