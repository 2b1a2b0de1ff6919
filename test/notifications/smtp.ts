import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export type ReceivedMail = {
  raw: string;
  parsed: ParsedMail;
  /** RCPT TO addresses */
  to: string[];
};

export type SmtpFailure = { code: number; message: string } | null;

export type SmtpSinkOptions = {
  /** listen on this port (e.g. to come back on the same port after stop()); 0 = any free one */
  port?: number;
  /** wait this long before answering each DATA (a slow server, for the kill test) */
  delayMs?: number;
  /** refuse a recipient: e.g. `() => ({ code: 550, message: 'Mailbox unavailable' })` */
  failRecipient?: (address: string) => SmtpFailure;
  /** never answer the DATA of a mail to this recipient (a stuck connection) until release() */
  hangFor?: (address: string) => boolean;
};

/** A real SMTP server on 127.0.0.1 that keeps what it receives, parsed with mailparser. */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  port = 0;
  private server?: SMTPServer;
  private waiters: (() => void)[] = [];
  private held = new Map<object, () => void>();
  /** connections closed by the client while the server held their DATA unanswered */
  cutWhileHanging = 0;

  constructor(private opts: SmtpSinkOptions = {}) {}

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  setFailure(fn: SmtpSinkOptions['failRecipient']) {
    this.opts.failRecipient = fn;
  }

  setHang(fn: SmtpSinkOptions['hangFor']) {
    this.opts.hangFor = fn;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 10 * 1024 * 1024,
      onRcptTo: (address, _session, callback) => {
        const failure = this.opts.failRecipient?.(address.address);
        if (failure) {
          const err = Object.assign(new Error(failure.message), { responseCode: failure.code });
          return callback(err);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          void simpleParser(raw).then((parsed) => {
            const to = session.envelope.rcptTo.map((r) => r.address);
            const answer = () => {
              this.received.push({ raw, parsed, to });
              for (const w of this.waiters.splice(0)) w();
              callback();
            };
            if (to.some((address) => this.opts.hangFor?.(address))) this.held.set(session, answer);
            else if (this.opts.delayMs) setTimeout(answer, this.opts.delayMs);
            else answer();
          }, callback);
        });
      },
      onClose: (session) => {
        if (this.held.delete(session)) this.cutWhileHanging++;
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections (the server is "down"); start() again comes back on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const c of server.connections) (c as unknown as { close(): void }).close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Mails whose DATA the server is holding unanswered. */
  get hanging(): number {
    return this.held.size;
  }

  /** Answers the held mails: they arrive. */
  release() {
    const answers = [...this.held.values()];
    this.held.clear();
    for (const answer of answers) answer();
  }

  /** Resolves once `condition` holds. */
  async until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('the SMTP server never got there');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves once at least `n` mails have arrived. */
  async waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} mails, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(address));
  }

  clear() {
    this.received.length = 0;
  }
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}) {
  return new SmtpSink(opts).start();
}

/** A header's value as written (folded lines joined), or undefined. */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
