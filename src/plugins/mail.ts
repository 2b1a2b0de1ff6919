import fs from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { MailConfig } from '../config.js';
import { buildMime, envelopeAddress } from '../notifications/mime.js';
import { createMailWorker, type MailWorker } from '../notifications/worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
    mailWorker: MailWorker;
  }
}

/** A composed mail, as the worker hands it over (nodemailer's message options, narrowed to what we use). */
export type OutgoingMail = {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo?: string;
  references?: string;
  headers: Record<string, string>;
};

/** The one mailer: pooled SMTP with SMTP_URL, otherwise .eml files in MailConfig.dir. */
export type Mailer = {
  kind: 'smtp' | 'files';
  /** `signal` gives up on the mail (the app is closing); the SMTP mailer also gives up after MailConfig's timeout */
  send(mail: OutgoingMail, opts?: { signal?: AbortSignal }): Promise<void>;
  close(): void;
};

/** The SMTP server took longer than MAIL_SEND_TIMEOUT_SECONDS: a temporary failure, the mail is tried again. */
function sendTimedOut(seconds: number) {
  return Object.assign(
    new Error(`Serwer poczty nie przyjął wiadomości w ciągu ${seconds} s; połączenie zamknięte, będzie ponowna próba.`),
    { code: 'ETIMEDOUT' },
  );
}

export function createMailer(config: Pick<MailConfig, 'smtpUrl' | 'dir' | 'sendTimeoutSeconds'>): Mailer {
  if (config.smtpUrl) {
    const timeoutMs = config.sendTimeoutSeconds * 1000;
    const transport: Transporter = nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: 5,
      maxMessages: Infinity,
      connectionTimeout: Math.min(15_000, timeoutMs),
      greetingTimeout: Math.min(15_000, timeoutMs),
      socketTimeout: Math.min(60_000, timeoutMs),
    } as Parameters<typeof nodemailer.createTransport>[0]);
    return {
      kind: 'smtp',
      async send(mail, opts) {
        // a server that trickles its answers is never idle long enough for the socket timeout: the mail has a
        // deadline of its own, and the pool closes the connection of a mail given up on, sparing the others
        const deadline = AbortSignal.timeout(timeoutMs);
        const signal = opts?.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
        // the message is built here in one piece; nodemailer's composer only for what buildMime leaves to it
        const raw = buildMime(mail);
        try {
          if (raw === null) await transport.sendMail({ ...mail, signal } as SendMailOptions);
          // the Message-ID only spares nodemailer generating one for its log (the raw message carries its own)
          else
            await transport.sendMail({
              envelope: { from: envelopeAddress(mail.from), to: [mail.to] },
              raw,
              messageId: mail.messageId,
              signal,
            } as SendMailOptions);
        } catch (err) {
          if (deadline.aborted) throw sendTimedOut(config.sendTimeoutSeconds);
          throw err;
        }
      },
      close: () => transport.close(),
    };
  }
  // no SMTP server configured: every mail is kept as a file staff can open, so a fresh machine works
  const files = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let folderReady = false;
  return {
    kind: 'files',
    async send(mail) {
      if (!folderReady) {
        fs.mkdirSync(config.dir, { recursive: true, mode: 0o700 });
        folderReady = true;
      }
      const raw = buildMime(mail);
      const message = raw === null ? ((await files.sendMail(mail)).message as Buffer) : raw.replace(/\r\n/g, '\n');
      const local = mail.messageId.replace(/^<|@.*$/g, '').replace(/[^A-Za-z0-9_-]/g, '');
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${local}.eml`;
      await fs.promises.writeFile(path.join(config.dir, name), message, { mode: 0o600 });
    },
    close: () => files.close(),
  };
}

/** Without a mail section (tests, scripts): files beside the database, and no background loop. */
export function defaultMailConfig(databasePath: string): MailConfig {
  return {
    dir: path.join(path.dirname(databasePath), 'mail'),
    from: 'Konsultacje Toruń <konsultacje@localhost>',
    coalesceSeconds: 300,
    retryBaseSeconds: 60,
    maxAttempts: 8,
    retentionDays: 30,
    leaseSeconds: 120,
    sendTimeoutSeconds: 30,
    worker: false,
  };
}

export type MailPluginOptions = {
  config: MailConfig;
  baseUrl: string;
  /** how often the in-process worker looks for due mail */
  intervalMs?: number;
  /** how long closing the app lets mail on its way finish before giving up on it (it is sent again later) */
  closeGraceMs?: number;
};

/**
 * The mailer and the outbox worker. `app.mailWorker.runOnce(now)` sends what is due (tests drive it); with
 * MailConfig.worker a loop runs it every few seconds. Closing the app stops claiming mail first, then gives the
 * mail on its way until closeGraceMs after that to finish.
 */
export default fp<MailPluginOptions>(
  async (app, opts) => {
    const mailer = createMailer(opts.config);
    const worker = createMailWorker({
      db: app.database.db,
      sqlite: app.database.sqlite,
      mailer,
      config: opts.config,
      baseUrl: opts.baseUrl,
      log: app.log,
    });
    app.decorate('mailer', mailer);
    app.decorate('mailWorker', worker);

    let timer: NodeJS.Timeout | undefined;
    if (opts.config.worker) {
      // each tick starts a run; a run while earlier ones still send gets only the lanes they leave free, so a
      // mail stuck on its way does not keep newly due mail waiting
      const tick = () => void worker.runOnce().catch((err: unknown) => app.log.error({ err }, 'mail worker failed'));
      app.addHook('onReady', async () => {
        timer = setInterval(tick, opts.intervalMs ?? 2000);
        timer.unref();
      });
    }
    let closingSince = 0;
    // preClose runs before the server stops accepting connections: no mail is claimed from then on
    app.addHook('preClose', async () => {
      closingSince = Date.now();
      if (timer) clearInterval(timer);
      worker.stop();
    });
    // onClose runs after the server has closed, before the database plugin's: the mail on its way is settled
    // (or given back) against an open database
    app.addHook('onClose', async () => {
      const graceMs = opts.closeGraceMs ?? 10_000;
      await worker.close(Math.max(0, graceMs - (Date.now() - closingSince)));
      mailer.close();
    });
  },
  { name: 'mail', dependencies: ['db'] },
);
