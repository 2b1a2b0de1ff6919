import { eq, lt } from 'drizzle-orm';
import type { FastifySessionObject, SessionStore } from '@fastify/session';
import type { Db } from '../db/client.js';
import { sessions } from '../db/schema/index.js';

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: FastifySessionObject | null) => void;

/** @fastify/session store on the app's SQLite file (the default memory store leaks). */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: Db, private readonly ttlMs: number) {}

  get(sid: string, callback: CallbackSession): void {
    try {
      const row = this.db.select().from(sessions).where(eq(sessions.sid, sid)).get();
      if (!row || row.expiresAt < Date.now()) return callback(null, null);
      callback(null, JSON.parse(row.data) as FastifySessionObject);
    } catch (err) {
      callback(err, null);
    }
  }

  set(sid: string, session: FastifySessionObject, callback: Callback): void {
    try {
      const data = JSON.stringify(session);
      const expiresAt = Date.now() + this.ttlMs;
      this.db.insert(sessions).values({ sid, data, expiresAt })
        .onConflictDoUpdate({ target: sessions.sid, set: { data, expiresAt } }).run();
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

  /** Removes expired sessions. */
  prune(now = Date.now()): void {
    this.db.delete(sessions).where(lt(sessions.expiresAt, now)).run();
  }
}
