import fs from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
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
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
};

export function createMailer(config: Pick<MailConfig, 'smtpUrl' | 'dir'>): Mailer {
  if (config.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: 5,
      maxMessages: Infinity,
      // a server that stops answering must not hold a batch (and its lease) for minutes
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    return {
      kind: 'smtp',
      async send(mail) {
        // the message is built here in one piece; nodemailer's composer only for what buildMime leaves to it
        const raw = buildMime(mail);
        if (raw === null) await transport.sendMail(mail);
        // the Message-ID only spares nodemailer generating one for its log (the raw message carries its own)
        else
          await transport.sendMail({
            envelope: { from: envelopeAddress(mail.from), to: [mail.to] },
            raw,
            messageId: mail.messageId,
          });
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
    leaseSeconds: 300,
    worker: false,
  };
}

export type MailPluginOptions = {
  config: MailConfig;
  baseUrl: string;
  /** how often the in-process worker looks for due mail */
  intervalMs?: number;
};

/**
 * The mailer and the outbox worker. `app.mailWorker.runOnce(now)` sends what is due (tests drive it); with
 * MailConfig.worker a loop runs it every few seconds and stops with the app, after the batch in flight.
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
    let inFlight: Promise<unknown> | undefined;
    let closing = false;
    if (opts.config.worker) {
      const tick = () => {
        if (closing || inFlight) return;
        inFlight = worker
          .runOnce()
          .catch((err: unknown) => app.log.error({ err }, 'mail worker failed'))
          .finally(() => {
            inFlight = undefined;
          });
      };
      app.addHook('onReady', async () => {
        timer = setInterval(tick, opts.intervalMs ?? 2000);
        timer.unref();
      });
    }
    // preClose runs before the database plugin's onClose: the batch in flight finishes against an open database
    app.addHook('preClose', async () => {
      closing = true;
      if (timer) clearInterval(timer);
      worker.stop();
      await inFlight;
      mailer.close();
    });
  },
  { name: 'mail', dependencies: ['db'] },
);
