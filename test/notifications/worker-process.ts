import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MailConfig } from '../../src/config.js';
import { Agent, createUser, idOfLp, type App } from '../helpers.js';
import { assign, subscribe } from './fixtures.js';
import { header, type SmtpSink } from './smtp.js';

/** The outbox worker in a process of its own (worker-child.ts), and what the tests with several of them share. */
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-child.ts');

export type WorkerChildOptions = { mail?: Partial<MailConfig>; untilEmpty?: boolean };

/** Starts a worker on the app's database file; `started` resolves just before its first run. */
export function startWorkerProcess(
  app: App,
  sink: SmtpSink,
  opts: { offsetSeconds?: number; options?: WorkerChildOptions } = {},
) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      app.database.sqlite.name,
      sink.url,
      String(opts.offsetSeconds ?? 0),
      JSON.stringify(opts.options ?? {}),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  const started = new Promise<void>((resolve) =>
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('started\n')) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, started, exited };
}

/** `count` followers of LP 7, which an admin then assigns: one mail each is queued (and the units' staff mail). */
export async function followersOfAnAssignedProposal(app: App, count: number) {
  await createUser(app, 'biuro@torun.test', 'admin');
  const lp7 = idOfLp(app, 7);
  for (let i = 0; i < count; i++) subscribe(app, `ngo${i}@ngo.pl`, { kind: 'proposal', id: lp7 });
  const admin = new Agent(app);
  await admin.login('biuro@torun.test');
  await assign(app, admin, lp7);
}

/** How many times each Message-ID arrived. */
export function arrivalsByMessageId(sink: SmtpSink): Map<string, number> {
  const byId = new Map<string, number>();
  for (const m of sink.received) {
    const id = header(m.raw, 'Message-ID')!;
    byId.set(id, (byId.get(id) ?? 0) + 1);
  }
  return byId;
}

/** The Message-IDs of the mails the outbox says it sent. */
export function sentMessageIds(app: App): Set<string> {
  const rows = app.database.sqlite.prepare(`SELECT message_id FROM outbox WHERE sent_in_id = id`).pluck().all();
  return new Set((rows as string[]).map((m) => `<${m}@torun.test>`));
}
