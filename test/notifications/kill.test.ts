import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import {
  arrivalsByMessageId,
  followersOfAnAssignedProposal,
  sentMessageIds,
  startWorkerProcess,
} from './worker-process.js';

/** The worker is killed (SIGKILL) mid-batch in its own process; started again, it delivers the rest at once. */
const FOLLOWERS = 40;
let app: App;
let sink: SmtpSink;

beforeAll(async () => {
  // a slow server: every mail waits 150 ms for its answer, so the batch is still running when the worker dies
  sink = await startSmtpSink({ delayMs: 150 });
  app = await build();
  await followersOfAnAssignedProposal(app, FOLLOWERS);
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

    const first = startWorkerProcess(app, sink);
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

    // started again at once, well within the lease the killed worker held: its process is gone, so are its leases
    const second = startWorkerProcess(app, sink);
    expect(await second.exited).toBe(0);

    const pending = app.database.sqlite.prepare(`SELECT count(*) n FROM outbox WHERE state <> 'sent'`).get();
    expect(pending).toEqual({ n: 0 });
    const subscriberMails = sink.received.filter((m) => m.to[0]!.endsWith('@ngo.pl'));
    const recipients = new Set(subscriberMails.map((m) => m.to[0]));
    expect(recipients.size).toBe(FOLLOWERS);
    // a repeat carries the same Message-ID, and only mails already on the wire when the worker died repeat
    const byId = arrivalsByMessageId(sink);
    const repeated = [...byId].filter(([, n]) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(5); // at most one per pooled SMTP connection
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    expect(new Set(byId.keys())).toEqual(sentMessageIds(app));
  });
});
