/**
 * npx tsx scripts/bench-mail.ts [--subscribers 10000] [--keep]
 *
 * Mail throughput through the outbox: a fresh temporary database with the Toruń data, N confirmed subscribers
 * following LP 7, one decision published (through the services, as the routes do) → the time until the last mail is
 * accepted by a local SMTP sink (smtp-server on 127.0.0.1 in a child process; it only counts), mails/s
 * and the memory used. It measures and prints; it never asserts. `benchMail(opts)` is exported for `npm run bench`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildServer } from '../src/build.js';
import { defaultMailConfig } from '../src/plugins/mail.js';
import { importTorun2026 } from '../src/imports/seed.js';
import { upsertUser } from '../src/admin/accounts.js';
import { loadActor } from '../src/auth/queries.js';
import { assignUnits } from '../src/triage/service.js';
import { savePosition } from '../src/positions/service.js';
import { publishDecision, submittedPositions } from '../src/decisions/service.js';
import { todayInWarsaw } from '../src/lib/dates.js';

export type MailBenchResult = {
  subscribers: number;
  /** mails accepted by the SMTP sink */
  mails: number;
  /** outbox rows written by the decision (4 public events × subscribers, plus staff rows) */
  outboxRows: number;
  /** publishing the decision, fan-out to the outbox included (one transaction) */
  publishMs: number;
  /** from the worker's start until the sink accepted the last mail */
  deliverMs: number;
  mailsPerSecond: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  heapPeakMiB: number;
};

/**
 * A sink that accepts everything and only counts, in a process of its own: a real SMTP server is never the
 * sending process, and sharing one thread with the worker would halve what is measured.
 */
const SINK_SOURCE = `
const { SMTPServer } = require('smtp-server');
let accepted = 0;
const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
  disableReverseLookup: true,
  onData(stream, session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => { accepted++; callback(); });
  } });
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.server.address().port + '\\n'));
process.stdin.on('data', () => process.stdout.write('count ' + accepted + '\\n'));
process.stdin.on('end', () => process.exit(0));
`;

async function startCountingSink(): Promise<{ port: number; count: () => Promise<number>; close: () => void }> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const child = spawn(process.execPath, ['-e', SINK_SOURCE], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const port = Number((await next()).split(' ')[1]);
  return {
    port,
    async count() {
      const answer = next();
      child.stdin!.write('?\n');
      return Number((await answer).split(' ')[1]);
    },
    close: () => child.stdin!.end(),
  };
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function benchMail(opts: { subscribers?: number; keep?: boolean; log?: (line: string) => void } = {}) {
  const subscribers = opts.subscribers ?? 10_000;
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-bench-mail-'));
  const databasePath = path.join(dir, 'bench.sqlite');
  const sink = await startCountingSink();
  const app = await buildServer({
    databasePath,
    baseUrl: 'https://konsultacje.torun.test',
    viewCache: true,
    mail: {
      ...defaultMailConfig(databasePath),
      smtpUrl: `smtp://127.0.0.1:${sink.port}`,
      from: 'Konsultacje Toruń <konsultacje@torun.test>',
      coalesceSeconds: 0,
    },
  });
  try {
    const { db, sqlite } = app.database;
    importTorun2026(db);
    const admin = await upsertUser(
      db,
      {
        email: 'biuro@torun.test',
        role: 'admin',
        unitNames: [],
        password: 'bench-password-123',
      },
      2 ** 10,
    );
    const unitStaff = await upsertUser(
      db,
      {
        email: 'bdim@torun.test',
        role: 'unit',
        unitNames: ['Biuro Dialogu i Innowacji Miejskich'],
        password: 'bench-password-123',
      },
      2 ** 10,
    );
    const lp7 = sqlite.prepare('SELECT id, version FROM proposals WHERE lp = 7').get() as {
      id: number;
      version: number;
    };
    const unitId = (
      sqlite.prepare('SELECT id FROM units WHERE name = ?').get('Biuro Dialogu i Innowacji Miejskich') as { id: number }
    ).id;
    const due = todayInWarsaw(new Date(Date.now() + 14 * 86_400_000));
    assignUnits(db, lp7.id, { version: lp7.version, unitIds: [unitId], dueDate: due }, admin.id);
    savePosition(
      db,
      lp7.id,
      {
        unitId,
        positionVersion: 0,
        action: 'submit',
        outcome: 'uwzgledniona',
        justification: 'Biuro przygotuje wykaz lokali na Rubinkowie i Skarpie dostępnych dla organizacji.',
      },
      loadActor(db, unitStaff.id)!,
    );
    // everything so far went out to nobody (no followers yet): clear it so only the decision is measured
    sqlite.prepare('DELETE FROM outbox').run();

    const now = new Date().toISOString();
    const insert = sqlite.prepare(`INSERT INTO subscriptions (email, scope_kind, scope_id, frequency, state,
      clause_version, requested_at, confirmed_at) VALUES (?, 'proposal', ?, 'immediate', 'confirmed', 'bench', ?, ?)`);
    sqlite.transaction(() => {
      for (let i = 0; i < subscribers; i++) insert.run(`ngo${i}@organizacja${i % 97}.pl`, lp7.id, now, now);
    })();

    const version = (sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(lp7.id) as { version: number })
      .version;
    const cited = submittedPositions(db, lp7.id).map((p) => p.positionId);
    const text =
      'Propozycję uwzględniono: w programie współpracy zapisano udostępnienie NGO pięciu lokali ' +
      'miejskich na Rubinkowie i Skarpie, z wykazem publikowanym co kwartał.';

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 50);

    const t0 = performance.now();
    publishDecision(db, lp7.id, { version, outcome: 'uwzgledniona', text, citedPositionIds: cited }, admin.id);
    const t1 = performance.now();
    const outboxRows = (sqlite.prepare('SELECT count(*) n FROM outbox').get() as { n: number }).n;
    const counts = await app.mailWorker.runOnce(new Date(Date.now() + 1000));
    const t2 = performance.now();
    clearInterval(sampler);
    const mails = await sink.count();

    const result: MailBenchResult = {
      subscribers,
      mails,
      outboxRows,
      publishMs: Math.round(t1 - t0),
      deliverMs: Math.round(t2 - t1),
      mailsPerSecond: Math.round(mails / ((t2 - t1) / 1000)),
      rssBeforeMiB: mib(rssBefore),
      rssPeakMiB: mib(rssPeak),
      heapPeakMiB: mib(heapPeak),
    };
    log(`mail: ${subscribers} followers of LP 7, one decision published`);
    log(
      `  outbox rows written by the decision: ${outboxRows} ` +
        `(fan-out inside the publish transaction: ${result.publishMs} ms)`,
    );
    log(
      `  mails accepted by the SMTP sink: ${result.mails} (worker: ${counts.sent} sent, ${counts.retrying} retrying, ` +
        `${counts.dead} dead) in ${result.deliverMs} ms → ${result.mailsPerSecond} mails/s (goal ≥ 500/s)`,
    );
    log(
      `  memory: RSS ${result.rssBeforeMiB} MiB before, peak ${result.rssPeakMiB} MiB; ` +
        `heap peak ${result.heapPeakMiB} MiB`,
    );
    return result;
  } finally {
    await app.close();
    sink.close();
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { subscribers: { type: 'string' }, keep: { type: 'boolean' } } });
  await benchMail({ subscribers: values.subscribers ? Number(values.subscribers) : undefined, keep: values.keep });
}
