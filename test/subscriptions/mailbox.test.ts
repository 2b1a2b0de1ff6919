import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, idOfLp, type App } from '../helpers.js';
import { later } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { mailboxOf } from '../../src/subscriptions/mailbox.js';
import { currentClause } from '../../src/subscriptions/clause.js';
import { CONFIRMATIONS_PER_DAY, purgeExpiredSubscriptions, requestFollow } from '../../src/subscriptions/service.js';
import { follow } from './helpers.js';

/**
 * The daily limit of confirmation mails protects a mailbox from being flooded through the follow form; spelling one
 * mailbox many ways (plus-addressing, letter case) must not multiply it. Mail is received over real SMTP.
 */
let app: App;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('the mailbox of an address', () => {
  it('is the address lower-cased, without the +tag of its local part', () => {
    expect(mailboxOf('Jan.Kowalski+konsultacje@Example.PL')).toBe('jan.kowalski@example.pl');
    expect(mailboxOf('jan+a+b@example.pl')).toBe('jan@example.pl');
    expect(mailboxOf('jan@example.pl')).toBe('jan@example.pl');
    // a local part that is only a tag is a mailbox of its own
    expect(mailboxOf('+tag@example.pl')).toBe('+tag@example.pl');
    // only the local part has tags
    expect(mailboxOf('jan@poczta+1.example.pl')).toBe('jan@poczta+1.example.pl');
  });
});

describe('confirmation mails per mailbox', () => {
  it('sends at most 5 a day to one mailbox however its address is spelt, with the same answer to every request', async () => {
    const spellings = [
      'imie+1@skrzynka.pl',
      'imie+2@skrzynka.pl',
      'IMIE+3@Skrzynka.PL',
      'imie+4@skrzynka.pl',
      'imie@skrzynka.pl',
      'imie+6@skrzynka.pl',
      'Imie+7@skrzynka.pl',
      'imie+8@skrzynka.pl',
    ];
    const answers = new Set<string>();
    for (const [i, email] of spellings.entries()) {
      // each from its own address, so the per-IP limit is not what stops them
      const res = await follow(new Agent(app), { kind: 'proposal', id: idOfLp(app, 10 + i) }, email, {
        ip: `10.9.0.${i + 1}`,
      });
      answers.add(`${res.statusCode} ${res.headers.location}`);
    }
    expect(answers).toEqual(new Set(['303 /subscriptions/sent']));

    await app.mailWorker.runOnce(later(1));
    const inMailbox = sink.received.filter((m) => m.to.some((to) => mailboxOf(to) === 'imie@skrzynka.pl'));
    expect(inMailbox).toHaveLength(CONFIRMATIONS_PER_DAY);
    expect(inMailbox.map((m) => m.parsed.subject)).toEqual(
      Array(CONFIRMATIONS_PER_DAY).fill('Potwierdź obserwowanie – Konsultacje Toruń'),
    );

    // another mailbox at the same domain is not held back by it
    const other = await follow(new Agent(app), { kind: 'proposal', id: idOfLp(app, 30) }, 'imie2+1@skrzynka.pl', {
      ip: '10.9.1.1',
    });
    expect(other.statusCode).toBe(303);
    await app.mailWorker.runOnce(later(2));
    expect(sink.to('imie2+1@skrzynka.pl')).toHaveLength(1);
  });

  it('keeps what it counts (a hash of the mailbox) only for the day the limit covers', () => {
    const hashes = () =>
      (
        app.database.sqlite.prepare('SELECT count(*) n FROM outbox WHERE mailbox_hash IS NOT NULL').get() as {
          n: number;
        }
      ).n;
    expect(hashes()).toBe(CONFIRMATIONS_PER_DAY + 1);
    const tomorrow = new Date(Date.now() + 86_400_000 + 1000);
    purgeExpiredSubscriptions(app.database.db, tomorrow);
    expect(hashes()).toBe(0);
    const next = requestFollow(
      app.database.db,
      {
        email: 'imie+9@skrzynka.pl',
        scope: { kind: 'proposal', id: idOfLp(app, 40) },
        frequency: 'immediate',
        clause: currentClause(),
      },
      tomorrow,
    );
    expect(next).toBe('created');
  });
});
