import { and, eq, gte, lt, ne } from 'drizzle-orm';
import type { FastifySessionObject, SessionStore } from '@fastify/session';
import type { Db, DbOrTx } from '../db/client.js';
import { sessions } from '../db/schema/index.js';
import { storageTrouble } from '../lib/errors.js';

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: FastifySessionObject | null) => void;
/** Where a skipped session write is reported (the app's logger). */
export type StoreLog = { warn: (details: object, message: string) => void };

/**
 * @fastify/session store on the app's SQLite file (the default memory store leaks). Only signed-in
 * people have a row: a session without an account is never written, so anonymous visitors cost
 * nothing. A row ends `idleMs` after the last request or `absoluteMs` after login, whichever is first.
 */
export class SqliteSessionStore implements SessionStore {
  constructor(
    private readonly db: Db,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
    private readonly log?: StoreLog,
  ) {}

  get(sid: string, callback: CallbackSession): void {
    try {
      const row = this.db.select().from(sessions).where(eq(sessions.sid, sid)).get();
      if (!row || row.expiresAt < Date.now()) callback(null, null);
      else callback(null, JSON.parse(row.data) as FastifySessionObject);
    } catch (err) {
      callback(err, null);
    }
  }

  set(sid: string, session: FastifySessionObject, callback: Callback): void {
    try {
      const { userId, loginAt, lastSeen } = session;
      if (userId === undefined || loginAt === undefined) {
        callback();
        return;
      }
      const data = JSON.stringify(session);
      const now = Date.now();
      const expiresAt = Math.min(now + this.idleMs, loginAt + this.absoluteMs);
      // A row is created only by the login itself (lastSeen is still the login time); every later
      // save is a touch that moves the idle limit on.
      const login = lastSeen === loginAt;
      let updated: number;
      try {
        updated = this.db
          .update(sessions)
          .set({ data, expiresAt, userId, createdAt: loginAt })
          .where(eq(sessions.sid, sid))
          .run().changes;
      } catch (err) {
        // A touch is worth less than the page it comes with: on a full disk, or a read-only or busy
        // database, the page is still served and the idle limit counts from the last touch recorded.
        const trouble = login ? null : storageTrouble(err);
        if (!trouble) throw err;
        this.log?.warn({ code: trouble.code, userId }, 'session touch skipped: the database takes no writes');
        callback();
        return;
      }
      // A later request whose row was deleted meanwhile (log out everywhere, a new password) must
      // not bring it back when it saves the session at its end.
      if (updated === 0 && login) {
        this.db.insert(sessions).values({ sid, data, expiresAt, userId, createdAt: loginAt }).run();
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  destroy(sid: string, callback: Callback): void {
    try {
      this.db.delete(sessions).where(eq(sessions.sid, sid)).run();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Removes expired sessions (they are refused when read anyway). */
  prune(now = Date.now()): void {
    this.db.delete(sessions).where(lt(sessions.expiresAt, now)).run();
  }
}

/** Signs a person out everywhere, or everywhere but the session `exceptSid` (their own, on /account). */
export function endSessionsOf(db: DbOrTx, userId: number, exceptSid?: string): number {
  const theirs = eq(sessions.userId, userId);
  const which = exceptSid === undefined ? theirs : and(theirs, ne(sessions.sid, exceptSid));
  return db.delete(sessions).where(which).run().changes;
}

/** How many sessions of the account are open (not expired). */
export function countSessionsOf(db: DbOrTx, userId: number, now = Date.now()): number {
  return db
    .select({ sid: sessions.sid })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gte(sessions.expiresAt, now)))
    .all().length;
}
