import { sql } from 'drizzle-orm';
import type BetterSqlite3 from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import type { MailConfig } from '../config.js';
import type { Db } from '../db/client.js';
import type { Mailer, OutgoingMail } from '../plugins/mail.js';
import { randomBytes } from 'node:crypto';
import { mintTokens, type TokenInput } from '../subscriptions/tokens.js';
import { type AccountTokenInput, mintAccountTokens } from '../auth/account-tokens.js';
import { ACCOUNT_MAIL_KINDS } from './account-mail.js';
import { backoffSeconds, classifyFailure, describeFailure } from './delivery.js';
import { endLeaseOwner, leaseOwnerIsGone, newLeaseOwner } from './lease.js';
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
  /** mails not sent because another worker had taken over their lease */
  lost: number;
};

export type MailWorker = {
  /**
   * Sends every mail due at `now` (the clock then runs on from it) and returns what happened. Runs may overlap: a
   * run gets the mail lanes the ones before it do not use, so a mail stuck on its way holds one lane, not the rest.
   */
  runOnce(now?: Date): Promise<RunCounts>;
  /** Retention and clean-up: old sent rows forget their address, expired tokens go (account links a month later). */
  housekeep(now?: Date): void;
  /** The Monday reminder to unit staff (idempotent per ISO week and address). Returns rows enqueued. */
  enqueueReminders(now?: Date): number;
  /** The mail an outbox row is (or was) sent as, with placeholder tokens: for the "Poczta" preview. */
  preview(rowId: number): { row: OutboxRow; mail: ReturnType<typeof composeMail> } | undefined;
  /** Stops claiming (the app is closing): claimed mail not yet on its way is given back at once. */
  stop(): void;
  /**
   * Stops, lets the mails on their way finish for at most `graceMs`, then gives up on the rest: they are aborted
   * and their rows given back, to be sent again by whichever worker comes next. The database must stay open until
   * this resolves.
   */
  close(graceMs: number): Promise<void>;
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
  /** mails in flight at once, over all runs (the SMTP pool keeps its own connection limit) */
  concurrency?: number;
};

/** Not a real token: previews must never create working links. */
export const PREVIEW_TOKEN = 'podglad-bez-prawdziwego-linku';

const HOUSEKEEPING_EVERY_MS = 10 * 60_000;
/** A row whose events are not public (never expected): given up on at once, never mailed. */
const NOTHING_PUBLIC = { responseCode: 554, message: 'Brak publicznej treści do wysłania.' };

/** Stands for a token while a batch renders; random per process, so no text of a mail can contain it by chance. */
const TOKEN_PLACEHOLDER = `tokenplaceholder${randomBytes(8).toString('hex')}`;

type Ready = { group: MailGroup; mail: OutgoingMail };
type Outcome = { group: MailGroup; subject?: string; error?: unknown };

/** One call of runOnce: its clock, what it claimed and not yet settled, its queue of rendered mails. */
type Run = {
  /** the run's `now`, running on in real time (leases and outcomes are stamped with it) */
  clock: () => Date;
  counts: RunCounts;
  /**
   * Rows claimed and not yet sent, failed, dropped or given back, with the end of their lease (ms, run clock): it is
   * renewed until they are. No other worker can take a row before that end, so a mail whose rows' lease has not
   * ended is sent without asking the database.
   */
  held: Map<number, number>;
  ready: Ready[];
  /** the last claim found nothing due: a lane that runs out of mail ends */
  drained: boolean;
  outcomes: {
    record(o: Outcome): void;
    flushNow(): void;
    settled(): Promise<void>;
  };
  ended: Promise<void>;
};

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
  const leaseMs = config.leaseSeconds * 1000;
  const batchSize = opts.batchSize ?? 200;
  const concurrency = opts.concurrency ?? 20;
  const owner = newLeaseOwner();
  let stopped = false;
  /** gave up on the mails on their way (the app is closing): nothing more is written to the database */
  let closed = false;
  const gaveUp = new AbortController();
  let lastHousekeeping = 0;
  let lanesInUse = 0;
  const runs = new Set<Run>();

  const baseContext = { baseUrl: opts.baseUrl, from: config.from, replyTo: config.replyTo };

  const inIds = `IN (SELECT value FROM json_each(?))`;
  // prepared once: the worker runs them once per mail (outcomes), per batch or per renewal
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
    dropStaleAccountMail: sqlite.prepare<[string], { id: number }>(`DELETE FROM outbox
      WHERE id ${inIds} AND state = 'queued' AND kind IN (${ACCOUNT_MAIL_KINDS.map((k) => `'${k}'`).join(', ')})
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = json_extract(outbox.payload, '$.userId')
          AND u.active = 1 AND u.email = outbox.recipient
          AND (outbox.kind <> 'account-invitation' OR u.password_hash = ''))
      RETURNING id`),
    markSent: sqlite.prepare<[string, string, number, string]>(`UPDATE outbox SET state = 'sent', sent_at = ?,
      subject = ?, sent_in_id = ?, locked_until = NULL, locked_by = NULL, last_error = NULL WHERE id ${inIds}`),
    // a row another worker has taken over meanwhile is its to retry
    markFailed: sqlite.prepare<[number, string, string, string, string, string]>(`UPDATE outbox SET attempts = ?,
      last_error = ?, locked_until = NULL, locked_by = NULL, state = ?, available_at = ?
      WHERE id ${inIds} AND locked_by = ? AND state = 'queued'`),
    holders: sqlite
      .prepare<[string, string], string>(`SELECT DISTINCT locked_by FROM outbox
        WHERE state = 'queued' AND locked_by IS NOT NULL AND locked_by <> ? AND locked_until >= ?`)
      .pluck(),
    freeOf: sqlite.prepare<[string]>(`UPDATE outbox SET locked_until = NULL, locked_by = NULL
      WHERE state = 'queued' AND locked_by ${inIds}`),
    renew: sqlite.prepare<[string, string, string], { id: number }>(`UPDATE outbox SET locked_until = ?
      WHERE id ${inIds} AND locked_by = ? AND state = 'queued' RETURNING id`),
    release: sqlite.prepare<[string, string]>(`UPDATE outbox SET locked_until = NULL, locked_by = NULL
      WHERE id ${inIds} AND locked_by = ? AND state = 'queued'`),
  };
  const idsJson = (group: MailGroup) => JSON.stringify(group.rows.map((r) => r.id));

  /** Rows still leased to workers known to be gone (killed, or closed without giving them back) are free again. */
  function takeBackFromTheGone(nowIso: string) {
    const gone = statements.holders.all(owner, nowIso).filter(leaseOwnerIsGone);
    if (!gone.length) return;
    const { changes } = statements.freeOf.run(JSON.stringify(gone));
    opts.log?.warn({ workers: gone, rows: changes }, 'mail held by a worker that is gone taken back');
  }

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
        (tx) => {
          takeBackFromTheGone(nowIso);
          return tx.all<OutboxRow & { payload: string }>(sql`
      WITH seed AS (
        SELECT id, kind, recipient, proposal_id FROM outbox
        WHERE ${free} AND available_at <= ${nowIso} AND (locked_until IS NULL OR locked_until < ${nowIso})
          AND (kind <> 'subscriber' OR created_at <= ${coalesceCut})
        ORDER BY id LIMIT ${batchSize}
      )
      UPDATE outbox SET locked_until = ${until}, locked_by = ${owner}
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
        created_at AS createdAt`);
        },
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

  /**
   * An address that stopped following gets nothing, even if rows were queued for it: rows whose subscription is
   * gone (or no longer confirmed, or already confirmed for a confirmation mail) are deleted unsent. One query for
   * the whole batch; the subscriptions it reads are handed to rendering. Likewise an account mail whose account
   * was closed meanwhile, or an invitation whose account has a password by now.
   */
  function dropUnsubscribed(run: Run, groups: MailGroup[], memo: Map<string, unknown>): MailGroup[] {
    const ids = groups.flatMap((g) => g.rows.map((r) => r.id));
    // (the statement deletes them itself)
    const gone = new Set(statements.dropStaleAccountMail.all(JSON.stringify(ids)).map((r) => r.id));
    const unsubscribed = new Set<number>();
    const subs = new Map<number, SubscriptionRef>();
    for (const r of statements.following.all(JSON.stringify(ids))) {
      if (r.id === null || r.email !== r.recipient || r.state !== r.wanted) unsubscribed.add(r.rowId);
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
    if (unsubscribed.size) statements.dropQueued.run(JSON.stringify([...unsubscribed]));
    for (const id of unsubscribed) gone.add(id);
    if (!gone.size) return groups;
    for (const id of gone) run.held.delete(id);
    run.counts.dropped += gone.size;
    return groups.map((g) => ({ ...g, rows: g.rows.filter((r) => !gone.has(r.id)) }));
  }

  function markSent(group: MailGroup, subject: string, now: Date) {
    statements.markSent.run(now.toISOString(), subject, group.rows[0]!.id, idsJson(group));
  }

  function markFailed(group: MailGroup, err: unknown, now: Date): 'retrying' | 'dead' | 'lost' {
    const permanent = classifyFailure(err) === 'permanent';
    const attempts = Math.max(...group.rows.map((r) => r.attempts)) + 1;
    const dead = permanent || attempts >= config.maxAttempts;
    const retryAt = new Date(now.getTime() + backoffSeconds(attempts, config.retryBaseSeconds) * 1000).toISOString();
    const message = describeFailure(err);
    const state = dead ? 'dead' : 'queued';
    if (!statements.markFailed.run(attempts, message, state, retryAt, idsJson(group), owner).changes) return 'lost';
    if (dead) opts.log?.warn({ outboxIds: group.rows.map((r) => r.id), error: message }, 'mail dead');
    return dead ? 'dead' : 'retrying';
  }

  /**
   * Records outcomes in one transaction per turn of the event loop rather than one per mail: a mail the server
   * accepted is marked sent within that turn, so a crash repeats at most the mails answered in the same instant.
   */
  function outcomeRecorder(run: Pick<Run, 'clock' | 'counts' | 'held'>): Run['outcomes'] {
    let pending: Outcome[] = [];
    let scheduled: Promise<void> | undefined;
    let failure: unknown;
    const flush = () => {
      const batch = pending;
      pending = [];
      scheduled = undefined;
      if (closed || !batch.length) return;
      const now = run.clock();
      try {
        sqlite
          .transaction(() => {
            for (const o of batch) {
              if (o.subject !== undefined) {
                markSent(o.group, o.subject, now);
                run.counts.sent++;
                run.counts.rows += o.group.rows.length;
              } else run.counts[markFailed(o.group, o.error, now)]++;
            }
          })
          .immediate();
      } catch (err) {
        // the mails stay leased until the lease ends, then go again: at least once, never lost
        failure ??= err;
        opts.log?.error({ err, outboxIds: batch.flatMap((o) => o.group.rows.map((r) => r.id)) }, 'mail outcome lost');
      }
    };
    return {
      record(o: Outcome) {
        for (const r of o.group.rows) run.held.delete(r.id);
        pending.push(o);
        scheduled ??= new Promise<void>((resolve) =>
          setImmediate(() => {
            flush();
            resolve();
          }),
        );
      },
      /** what is recorded but not yet written, written now (the app gives up on the rest) */
      flushNow: flush,
      async settled() {
        while (scheduled) await scheduled;
        if (failure) throw failure;
      },
    };
  }

  /**
   * Renders claimed rows in one transaction and puts them in the run's queue. While rendering, each mail's token
   * source hands out placeholders (the same ones in every mail, so followers of the same events share one
   * rendering); the real tokens are then minted for the whole batch at once and put in their places.
   */
  function prepare(run: Run, groups: MailGroup[]) {
    const ready: Ready[] = [];
    const memo = new Map<string, unknown>();
    db.transaction(
      (tx) => {
        const asked: {
          mail: OutgoingMail;
          placeholders: string[];
          inputs: TokenInput[];
          accountPlaceholders: string[];
          accountInputs: AccountTokenInput[];
        }[] = [];
        for (const group of dropUnsubscribed(run, groups, memo)) {
          if (!group.rows.length) continue;
          const placeholders: string[] = [];
          const inputs: TokenInput[] = [];
          const accountPlaceholders: string[] = [];
          const accountInputs: AccountTokenInput[] = [];
          const ctx: RenderContext = {
            ...baseContext,
            memo,
            token: (purpose, email, subscriptionId) => {
              inputs.push({ purpose, email, subscriptionId });
              placeholders.push(`${TOKEN_PLACEHOLDER}${purpose}${placeholders.length}x`);
              return placeholders.at(-1)!;
            },
            accountToken: (purpose, userId) => {
              accountInputs.push({ purpose, userId });
              accountPlaceholders.push(`${TOKEN_PLACEHOLDER}account${purpose}${accountPlaceholders.length}x`);
              return accountPlaceholders.at(-1)!;
            },
          };
          try {
            const mail = composeMail(tx, group, ctx);
            if (!mail) {
              run.outcomes.record({ group, error: NOTHING_PUBLIC });
              continue;
            }
            ready.push({ group, mail });
            if (inputs.length || accountInputs.length)
              asked.push({ mail, placeholders, inputs, accountPlaceholders, accountInputs });
          } catch (err) {
            opts.log?.error({ err, outboxIds: group.rows.map((r) => r.id) }, 'mail could not be rendered');
            run.outcomes.record({ group, error: err });
          }
        }
        const mintedAt = run.clock();
        const tokens = mintTokens(
          tx,
          asked.flatMap((a) => a.inputs),
          mintedAt,
        );
        const accountTokens = mintAccountTokens(
          tx,
          asked.flatMap((a) => a.accountInputs),
          mintedAt,
        );
        let t = 0;
        let u = 0;
        for (const { mail, placeholders, accountPlaceholders } of asked) {
          fillTokens(mail, placeholders, tokens.slice(t, t + placeholders.length));
          t += placeholders.length;
          fillTokens(mail, accountPlaceholders, accountTokens.slice(u, u + accountPlaceholders.length));
          u += accountPlaceholders.length;
        }
      },
      { behavior: 'immediate' },
    );
    run.ready.push(...ready);
  }

  /** Claims the next batch into the run's queue; false when nothing is due. */
  function refill(run: Run): boolean {
    const now = run.clock();
    const rows = claim(now);
    if (!rows.length) {
      run.drained = true;
      return false;
    }
    const until = now.getTime() + leaseMs;
    for (const r of rows) run.held.set(r.id, until);
    prepare(run, groupRows(rows));
    return true;
  }

  /** Extends the lease on every row the run still holds; a row another worker took over is left to it. */
  function renew(run: Run) {
    if (closed || !run.held.size) return;
    const until = run.clock().getTime() + leaseMs;
    try {
      const ids = JSON.stringify([...run.held.keys()]);
      const kept = new Set(statements.renew.all(new Date(until).toISOString(), ids, owner).map((r) => r.id));
      for (const id of run.held.keys()) {
        if (kept.has(id)) run.held.set(id, until);
        else run.held.delete(id);
      }
    } catch (err) {
      opts.log?.warn({ err }, 'mail lease not renewed');
    }
  }

  /**
   * Whether the group's rows are still this worker's to send. The lease may have lapsed (the process stalled past
   * it, or the renewal failed): if no other worker took the rows meanwhile, it is renewed; if one did, they are
   * its to send.
   */
  function stillHeld(run: Run, group: MailGroup): boolean {
    const now = run.clock().getTime();
    if (group.rows.every((r) => (run.held.get(r.id) ?? 0) > now)) return true;
    const ids = idsJson(group);
    const until = now + leaseMs;
    if (statements.renew.all(new Date(until).toISOString(), ids, owner).length === group.rows.length) {
      for (const r of group.rows) run.held.set(r.id, until);
      return true;
    }
    statements.release.run(ids, owner);
    for (const r of group.rows) run.held.delete(r.id);
    return false;
  }

  /** Gives back rows claimed and not sent: another worker (or the next run) may take them at once. */
  function giveBack(run: Run, ids: number[]) {
    if (!ids.length) return;
    statements.release.run(JSON.stringify(ids), owner);
    for (const id of ids) run.held.delete(id);
  }

  async function deliver(run: Run, { group, mail }: Ready) {
    if (!stillHeld(run, group)) {
      run.counts.lost++;
      return;
    }
    try {
      await mailer.send(mail, { signal: gaveUp.signal });
    } catch (err) {
      if (!closed) run.outcomes.record({ group, error: err });
      return;
    }
    // HARD BOUNCES: not handled yet. An asynchronous bounce (a DSN arriving later at MAIL_FROM) would be
    // matched to the row by its Message-ID (stored per row), the row marked 'dead' with the bounce reason, and
    // the subscription ended (how: 'bounce') after repeated hard bounces.
    if (!closed) run.outcomes.record({ group, subject: mail.subject });
  }

  /**
   * One lane sends one mail at a time from the run's queue and claims the next batch when the queue is empty, so
   * a mail slow to leave holds its own lane only: the other lanes go on with the rest and with the next batch.
   */
  async function lane(run: Run) {
    try {
      while (!stopped) {
        const next = run.ready.shift();
        if (next) await deliver(run, next);
        else if (run.drained || !refill(run)) return;
      }
    } finally {
      lanesInUse--;
    }
  }

  async function runOnce(now = new Date()): Promise<RunCounts> {
    const counts: RunCounts = { sent: 0, rows: 0, retrying: 0, dead: 0, dropped: 0, lost: 0 };
    const lanes = concurrency - lanesInUse;
    if (stopped || lanes <= 0) return counts;
    if (now.getTime() - lastHousekeeping >= HOUSEKEEPING_EVERY_MS) {
      housekeep(now);
      enqueueReminders(now);
      lastHousekeeping = now.getTime();
    }
    const startedAt = Date.now();
    const clock = () => new Date(now.getTime() + (Date.now() - startedAt));
    const held = new Map<number, number>();
    let ended!: () => void;
    const run: Run = {
      clock,
      counts,
      held,
      ready: [],
      drained: false,
      outcomes: outcomeRecorder({ clock, counts, held }),
      ended: new Promise<void>((resolve) => {
        ended = resolve;
      }),
    };
    runs.add(run);
    const renewal = setInterval(() => renew(run), Math.max(leaseMs / 3, 100));
    renewal.unref();
    lanesInUse += lanes;
    try {
      const results = await Promise.allSettled(Array.from({ length: lanes }, () => lane(run)));
      await run.outcomes.settled();
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      clearInterval(renewal);
      if (!closed) giveBack(run, [...run.held.keys()]);
      runs.delete(run);
      ended();
    }
    return counts;
  }

  function stop() {
    stopped = true;
    for (const run of runs) {
      const notOnTheirWay = run.ready.splice(0).flatMap((r) => r.group.rows.map((row) => row.id));
      giveBack(run, notOnTheirWay);
    }
  }

  async function close(graceMs: number) {
    if (!stopped) stop();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      Promise.all([...runs].map((r) => r.ended)).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      const mails = [...runs].reduce((n, run) => n + run.held.size, 0);
      for (const run of runs) {
        run.outcomes.flushNow();
        giveBack(run, [...run.held.keys()]);
      }
      opts.log?.warn({ rows: mails }, 'mail still on its way at shutdown given back, to be sent again');
    }
    closed = true;
    gaveUp.abort();
    endLeaseOwner(owner);
  }

  function housekeep(now = new Date()) {
    const cutoff = new Date(now.getTime() - config.retentionDays * 86_400_000).toISOString();
    db.run(sql`UPDATE outbox SET ${FORGET_RECIPIENT} WHERE state = 'sent' AND recipient <> '' AND sent_at < ${cutoff}`);
    db.run(sql`DELETE FROM subscriber_tokens WHERE expires_at < ${now.toISOString()}`);
    // kept a month past their time, so that an old link still says it was used or has expired
    const accountCutoff = new Date(now.getTime() - 30 * 86_400_000).toISOString();
    db.run(sql`DELETE FROM account_tokens WHERE expires_at < ${accountCutoff}`);
  }

  function enqueueReminders(now = new Date()) {
    return enqueueWeeklyReminders(db, now);
  }

  function preview(rowId: number) {
    const row = outboxRow(db, rowId);
    if (!row) return undefined;
    const rows = rowsSentWith(db, row);
    const group: MailGroup = { kind: row.kind, recipient: row.recipient, rows };
    const ctx: RenderContext = { ...baseContext, token: () => PREVIEW_TOKEN, accountToken: () => PREVIEW_TOKEN };
    return { row, mail: composeMail(db, group, ctx) };
  }

  return {
    runOnce,
    housekeep,
    enqueueReminders,
    preview,
    stop,
    close,
  };
}
