import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { assign, subscribe } from './fixtures.js';
import { header, startSmtpSink, type SmtpSink } from './smtp.js';

/** The worker is killed (SIGKILL) mid-batch in its own process; started again, it delivers the rest. */
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-child.ts');
const FOLLOWERS = 40;
let app: App;
let sink: SmtpSink;

function startWorker(offsetSeconds: number): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, app.database.sqlite.name, sink.url, String(offsetSeconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

beforeAll(async () => {
  // a slow server: every mail waits 150 ms for its answer, so the batch is still running when the worker dies
  sink = await startSmtpSink({ delayMs: 150 });
  app = await build();
  await createUser(app, 'biuro@torun.test', 'admin');
  const lp7 = idOfLp(app, 7);
  for (let i = 0; i < FOLLOWERS; i++) subscribe(app, `ngo${i}@ngo.pl`, { kind: 'proposal', id: lp7 });
  const admin = new Agent(app);
  await admin.login('biuro@torun.test');
  await assign(app, admin, lp7);
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('kill -9 mid-batch', () => {
  it('resumes after a restart: every mail arrives, a repeat only for a mail that was in flight', async () => {
    const expected = app.database.sqlite
      .prepare(`SELECT DISTINCT recipient FROM outbox WHERE kind = 'subscriber'`)
      .all().length;
    expect(expected).toBe(FOLLOWERS);

    const first = startWorker(0);
    await sink.waitFor(3, 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const beforeKill = sink.received.length;
    expect(beforeKill).toBeLessThan(FOLLOWERS);
    const leased = app.database.sqlite
      .prepare(`SELECT count(*) n FROM outbox WHERE state = 'queued'
      AND locked_until IS NOT NULL`)
      .get() as { n: number };
    expect(leased.n).toBeGreaterThan(0);

    // started again with its clock past the lease (300 s) the killed worker held
    const second = startWorker(301);
    expect(await second.exited).toBe(0);

    const pending = app.database.sqlite.prepare(`SELECT count(*) n FROM outbox WHERE state <> 'sent'`).get();
    expect(pending).toEqual({ n: 0 });
    const subscriberMails = sink.received.filter((m) => m.to[0]!.endsWith('@ngo.pl'));
    const recipients = new Set(subscriberMails.map((m) => m.to[0]));
    expect(recipients.size).toBe(FOLLOWERS);
    // a repeat carries the same Message-ID, and only mails already on the wire when the worker died repeat
    const byId = new Map<string, number>();
    for (const m of sink.received) {
      const id = header(m.raw, 'Message-ID')!;
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    const repeated = [...byId].filter(([, n]) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(5); // at most one per pooled SMTP connection
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    const sentIds = app.database.sqlite.prepare(`SELECT message_id m FROM outbox WHERE sent_in_id = id`).all() as {
      m: string;
    }[];
    expect(new Set(byId.keys())).toEqual(new Set(sentIds.map((r) => `<${r.m}@torun.test>`)));
  });
});
