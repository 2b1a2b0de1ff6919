/**
 * The outbox worker as a process of its own, for the kill -9 test:
 *   node --import tsx test/notifications/worker-child.ts DATABASE SMTP_URL [CLOCK_OFFSET_SECONDS]
 * Sends everything due (the clock moved on by the offset, to step past leases a killed worker left) and exits.
 */
import { buildServer } from '../../src/build.js';
import { testMailConfig } from '../helpers.js';

const [databasePath, smtpUrl, offset = '0'] = process.argv.slice(2);
if (!databasePath || !smtpUrl) throw new Error('usage: worker-child.ts DATABASE SMTP_URL [OFFSET_SECONDS]');
const app = await buildServer({
  databasePath,
  baseUrl: 'http://127.0.0.1:3000',
  viewCache: true,
  mail: testMailConfig(databasePath, { smtpUrl }),
});
const counts = await app.mailWorker.runOnce(new Date(Date.now() + Number(offset) * 1000));
process.stdout.write(`${JSON.stringify(counts)}\n`);
await app.close();
