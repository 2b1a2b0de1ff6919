/**
 * The outbox worker as a process of its own, for the kill -9 and lease tests:
 *   node --import tsx test/notifications/worker-child.ts DATABASE SMTP_URL [CLOCK_OFFSET_SECONDS] [OPTIONS_JSON]
 * Sends everything due (the clock moved on by the offset) and exits. OPTIONS_JSON: `mail` (MailConfig fields, e.g.
 * a short lease) and `untilEmpty` (keep running the worker, as the server's loop does, until no mail is queued).
 */
import { buildServer } from '../../src/build.js';
import type { MailConfig } from '../../src/config.js';
import { testMailConfig } from '../helpers.js';

const [databasePath, smtpUrl, offset = '0', json = '{}'] = process.argv.slice(2);
if (!databasePath || !smtpUrl) throw new Error('usage: worker-child.ts DATABASE SMTP_URL [OFFSET_SECONDS] [OPTIONS]');
const options = JSON.parse(json) as { mail?: Partial<MailConfig>; untilEmpty?: boolean };
const app = await buildServer({
  databasePath,
  baseUrl: 'http://127.0.0.1:3000',
  viewCache: true,
  mail: testMailConfig(databasePath, { smtpUrl, ...options.mail }),
});
const clock = () => new Date(Date.now() + Number(offset) * 1000);
const queued = app.database.sqlite.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'queued'`).pluck();
const giveUpAt = Date.now() + 60_000;
process.stdout.write('started\n');
let counts = await app.mailWorker.runOnce(clock());
while (options.untilEmpty && (queued.get() as number) > 0 && Date.now() < giveUpAt) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const more = await app.mailWorker.runOnce(clock());
  counts = Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, v + more[k as keyof typeof more]]),
  ) as typeof counts;
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
await app.close();
