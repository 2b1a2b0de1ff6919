import http from 'node:http';
import net from 'node:net';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import {
  BUILD_TIMEOUT_MS,
  dataFolder,
  ensureBuilt,
  seededDatabase,
  type Started,
  startServer,
} from '../server-process.js';

/**
 * SIGTERM with clients that would hold the server for good: one stopped reading an export, one sent half a
 * request, one never finished its headers; and a mail whose SMTP server never answers. The server stops accepting
 * and claiming mail at once, lets what is in flight finish for SHUTDOWN_GRACE_SECONDS, then closes what is left
 * and exits.
 */
const STUCK = 'zawieszona@ngo.pl';
const LATER = 'pozniej@ngo.pl';
let sink: SmtpSink;
let server: Started | undefined;
beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);
afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  sink?.release();
  await sink?.stop();
});

/** A confirmation mail due now, for a pending subscription of `email`. */
function queueConfirmation(sqlite: BetterSqlite3.Database, email: string) {
  const now = new Date().toISOString();
  const { id } = sqlite
    .prepare(`INSERT INTO subscriptions (email, scope_kind, scope_id, frequency, state, clause_version, requested_at)
      VALUES (?, 'consultation', 1, 'immediate', 'pending', 'test-clause', ?) RETURNING id`)
    .get(email, now) as { id: number };
  sqlite
    .prepare(`INSERT INTO outbox (dedup_key, kind, recipient, subscription_id, payload, available_at, message_id,
      created_at) VALUES (?, 'confirmation', ?, ?, '{}', ?, lower(hex(randomblob(12))), ?)`)
    .run(`confirm:${id}:1`, email, id, now, now);
}

/** A raw connection that has sent `text` and reads what comes back. */
function rawClient(port: number, text: string) {
  const socket = net.connect(port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.resume();
  socket.write(text);
  return { socket, closed };
}

/**
 * A GET of the export whose response is paused as soon as it starts: nothing is read until `resume()`. From an
 * address of its own: an address streams one large export at a time.
 */
function pausedExport(port: number, localAddress: string) {
  let resume!: () => void;
  let firstBytes!: () => void;
  const started = new Promise<void>((resolve) => {
    firstBytes = resolve;
  });
  const body = new Promise<{ complete: boolean; text: string }>((resolve) => {
    const options = { host: '127.0.0.1', port, localAddress, path: '/export/proposals.json', agent: false };
    const request = http.get(options, (res) => {
      res.pause();
      firstBytes();
      const chunks: Buffer[] = [];
      resume = () => res.on('data', (c: Buffer) => chunks.push(c)).resume();
      // 'close' also comes when the connection is cut; `complete` tells whether the whole body had arrived
      res.on('close', () => resolve({ complete: res.complete, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => {});
    });
    request.on('error', () => resolve({ complete: false, text: '' }));
  });
  return { started, body, resume: () => resume() };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SIGTERM', { timeout: 120_000 }, () => {
  it('ends within its grace period, finishing what is in flight and cutting what would hang', async () => {
    sink = await startSmtpSink({ hangFor: (address) => address === STUCK });
    const sqliteFile = seededDatabase(dataFolder(), (database) => {
      importTorun2026(database.db);
      // an export of some 1,200 proposals and 13 MB: streamed, and more than the sockets on both ends hold for a
      // client that reads nothing
      database.sqlite.exec(`INSERT INTO proposals (consultation_id, lp, lp_deduced, in_source, workshop_table_id,
          title, points, remarks, source_notes, status, version, created_at, updated_at)
        WITH RECURSIVE copy(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copy WHERE n < 16)
        SELECT consultation_id, lp + 1000 * n, lp_deduced, in_source, workshop_table_id, title, points, remarks,
          source_notes, status, version, created_at, updated_at FROM proposals, copy`);
      database.sqlite.exec(`UPDATE proposals SET remarks = json_array(replace(hex(zeroblob(1700)), '00', 'uwaga '))`);
      queueConfirmation(database.sqlite, STUCK);
    });
    server = startServer({
      DATABASE_URL: sqliteFile,
      PORT: '0',
      LOG_LEVEL: 'info',
      SMTP_URL: sink.url,
      SHUTDOWN_GRACE_SECONDS: '3',
      MAIL_SEND_TIMEOUT_SECONDS: '600',
    });
    const port = await server.port();
    await sink.until(() => sink.hanging === 1);

    // stopped reading: nothing read after the response's headers
    const stalled = pausedExport(port, '127.0.0.2');
    // reading slowly: paused too, and reads on once the server is closing
    const slow = pausedExport(port, '127.0.0.3');
    const halfBody = rawClient(
      port,
      'POST /subscriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 100\r\n\r\nemail=',
    );
    const halfHeaders = rawClient(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await Promise.all([stalled.started, slow.started]);

    server.child.kill('SIGTERM');
    await until(() => refused(port));
    expect(server.child.exitCode).toBeNull(); // refused while still running: it stopped accepting
    // a mail that falls due now is not claimed any more
    const database = openDatabase(sqliteFile);
    queueConfirmation(database.sqlite, LATER);
    slow.resume();

    const run = await server.exited;
    expect(run.code, run.stderr).toBe(0);
    await Promise.all([halfBody.closed, halfHeaders.closed]);
    // in flight: the export read on after SIGTERM arrived whole; the one nobody read was cut off
    const slowBody = await slow.body;
    expect(slowBody.complete).toBe(true);
    expect((JSON.parse(slowBody.text) as unknown[]).length).toBeGreaterThan(1000); // the streamed kind
    stalled.resume();
    expect((await stalled.body).complete).toBe(false);
    // the mail stuck on its way is given back, neither sent nor counted as a failed attempt; the later one untouched
    const rows = database.sqlite
      .prepare(`SELECT recipient, state, attempts, locked_by AS lockedBy FROM outbox ORDER BY id`)
      .all();
    database.close();
    expect(rows).toEqual([
      { recipient: STUCK, state: 'queued', attempts: 0, lockedBy: null },
      { recipient: LATER, state: 'queued', attempts: 0, lockedBy: null },
    ]);
    expect(sink.received).toHaveLength(0);
  });
});
