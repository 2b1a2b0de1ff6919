import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { later } from './fixtures.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import {
  arrivalsByMessageId,
  followersOfAnAssignedProposal,
  sentMessageIds,
  startWorkerProcess,
  type WorkerChildOptions,
} from './worker-process.js';

/**
 * Leases on claimed mail, with the worker in processes of its own on one database file and a slow SMTP server:
 * a batch that takes longer than its lease keeps it, and nobody else sends its mails.
 */
const FOLLOWERS = 80;
let app: App;
let sink: SmtpSink;

const count = (where: string) =>
  app.database.sqlite.prepare(`SELECT count(*) FROM outbox WHERE ${where}`).pluck().get() as number;

beforeEach(async () => {
  // 400 ms per mail over 5 pooled connections: the whole batch takes about two leases of 3 s
  sink = await startSmtpSink({ delayMs: 400 });
  // the worker in this process holds a lease of 1 s (the worker processes are given their own)
  app = await build({ mail: { smtpUrl: sink.url, leaseSeconds: 1 } });
  await followersOfAnAssignedProposal(app, FOLLOWERS);
});
afterEach(async () => {
  await app?.close();
  await sink?.stop();
});

describe('the lease on claimed mail', { timeout: 120_000 }, () => {
  it('is kept by a batch that outlives it: a second process sends none of its mails, every mail goes once', async () => {
    const options: WorkerChildOptions = { mail: { leaseSeconds: 3 }, untilEmpty: true };
    // the first mails are held unanswered until the second process is up (however long a loaded machine takes
    // to start it), so the second one surely looks for mail while the first one's batch is on its way
    sink.setHang(() => true);
    const first = startWorkerProcess(app, sink, { options });
    await sink.until(() => sink.hanging > 0, 60_000);
    const second = startWorkerProcess(app, sink, { options });
    await second.started;
    sink.setHang(undefined);
    sink.release();
    expect(sink.received.length).toBeLessThan(FOLLOWERS);

    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect(count(`state <> 'sent'`)).toBe(0);
    const followers = new Set(sink.received.map((m) => m.to[0]).filter((to) => to!.endsWith('@ngo.pl')));
    expect(followers.size).toBe(FOLLOWERS);
    const byId = arrivalsByMessageId(sink);
    expect([...byId].filter(([, n]) => n > 1)).toEqual([]);
    expect(new Set(byId.keys())).toEqual(sentMessageIds(app));
  });

  it('after stalling past it, sends only what it still holds: rows another worker took meanwhile are its', async () => {
    const run = app.mailWorker.runOnce(later(1));
    await sink.waitFor(1, 60_000);
    // the process stalls (a long synchronous job) past its lease of 1 s, and a worker on another machine takes
    // over the last 20 follower mails (each of a follower's rows) still waiting in the batch
    const stalledUntil = Date.now() + 1500;
    while (Date.now() < stalledUntil);
    const taken = app.database.sqlite
      .prepare(`UPDATE outbox SET locked_by = 'inny-serwer:4242:0a1b2c', locked_until = '2999-01-01T00:00:00.000Z'
        WHERE state = 'queued' AND kind = 'subscriber' AND recipient IN (SELECT recipient FROM outbox
          WHERE state = 'queued' AND kind = 'subscriber' GROUP BY recipient ORDER BY min(id) DESC LIMIT 20)
        RETURNING recipient`)
      .pluck()
      .all() as string[];
    expect(new Set(taken).size).toBe(20);

    const counts = await run;
    expect(counts.lost).toBe(20);
    expect(sink.received.filter((m) => taken.includes(m.to[0]!))).toEqual([]);
    expect(count(`state = 'queued' AND locked_by = 'inny-serwer:4242:0a1b2c'`)).toBe(taken.length);
    expect(count(`state <> 'sent' AND locked_by IS NOT 'inny-serwer:4242:0a1b2c'`)).toBe(0);
    expect([...arrivalsByMessageId(sink)].filter(([, n]) => n > 1)).toEqual([]);
  });
});
