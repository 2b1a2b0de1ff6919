import path from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'oczekiwano true albo false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address ?? '');
  if (!version || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

const TRUST_PROXY_ERROR =
  'oczekiwano false, liczby pośredników (1–20) albo listy adresów lub podsieci pośredników oddzielonych przecinkami';

/**
 * `true` would believe the left-most X-Forwarded-For entry, which the client writes itself (nginx's
 * `$proxy_add_x_forwarded_for` appends to what arrived): every per-address limit – login, follow, export – would
 * count whatever address the client invents.
 */
const TRUST_PROXY_TRUE_ERROR =
  'wartość true nie jest dozwolona: każdy klient mógłby wtedy podać w nagłówku X-Forwarded-For dowolny adres ' +
  'i ominąć limity na adres (logowanie, obserwowanie, eksport). Podaj liczbę pośredników przed serwisem ' +
  '(TRUST_PROXY=1, gdy przed serwisem stoi jeden serwer pośredniczący, np. nginx) albo adresy pośredników ' +
  '(np. TRUST_PROXY=10.0.0.5 lub 10.0.0.0/24)';

/** false (default), a hop count, or proxy addresses/CIDRs: Fastify's trustProxy. */
const trustProxySchema = z
  .string()
  .trim()
  .transform((v, ctx): false | number | string[] => {
    const lower = v.toLowerCase();
    if (['false', 'no', '0'].includes(lower)) return false;
    if (['true', 'yes'].includes(lower)) {
      ctx.addIssue({ code: 'custom', message: TRUST_PROXY_TRUE_ERROR });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= 20) return hops;
    } else {
      const entries = v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      if (entries.length && entries.every(isProxyAddress)) return entries;
    }
    ctx.addIssue({ code: 'custom', message: TRUST_PROXY_ERROR });
    return z.NEVER;
  });

/**
 * Every page, form, redirect, static file and cookie (`__Host-` ones must have Path=/) is at the root of its
 * host: under a sub-path behind a proxy half of them would point outside it. Refused, not half-working.
 */
function subPathMessage(url: URL): string {
  return (
    `adres z podścieżką („${url.pathname.replace(/\/$/, '')}”) nie jest obsługiwany: serwis musi mieć własną nazwę ` +
    `hosta (np. https://konsultacje.${url.hostname.replace(/^www\./, '')}), a serwer pośredniczący przekazywać mu ` +
    'ścieżki od „/” (README, „Wdrożenie”)'
  );
}

/**
 * An https BASE_URL means a TLS proxy in front (the app speaks plain http): without trusting it the app could
 * not tell that a request came over https (its cookies could not be Secure) nor who sent it (every client
 * would share the proxy's address in the per-address limits).
 */
const HTTPS_WITHOUT_PROXY_ERROR =
  'adres https:// oznacza serwer pośredniczący z TLS przed serwisem (np. nginx), a TRUST_PROXY nie jest ' +
  'ustawione: serwis nie wiedziałby, że żądanie przyszło przez https (nagłówek X-Forwarded-Proto), ani kto je ' +
  'wysłał. Ustaw TRUST_PROXY=1 (jeden pośrednik, np. nginx na tym samym serwerze) albo adres pośrednika ' +
  '(np. TRUST_PROXY=127.0.0.1)';

const envSchema = z.object({
  PORT: z.coerce
    .number({ error: 'musi być numerem portu (0–65535)' })
    .int('musi być liczbą całkowitą')
    .min(0, 'musi być numerem portu (0–65535)')
    .max(65535, 'musi być numerem portu (0–65535)')
    .default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .min(1)
    .default('data/db/konsultacje.sqlite')
    // accept "file:" URLs as well as plain paths
    .transform((v) => v.replace(/^file:(\/\/)?/, '')),
  BASE_URL: z
    .url({ protocol: /^https?$/, error: 'musi być adresem http:// lub https://' })
    .superRefine((v, ctx) => {
      // (the refinement runs after a failed check too: that one already says what is wrong)
      if (!URL.canParse(v)) return;
      const url = new URL(v);
      if (url.search || url.hash)
        ctx.addIssue({ code: 'custom', message: `bez „?…” i „#…”: sam adres serwisu, np. ${url.origin}` });
      else if (url.pathname !== '/') ctx.addIssue({ code: 'custom', message: subPathMessage(url) });
    })
    .optional(),
  VIEW_CACHE: booleanFlag.default(true),
  SESSION_SECRET: z.string().min(32, 'musi mieć co najmniej 32 znaki').optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number({ error: 'musi być liczbą minut' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 1440 minut')
    .max(24 * 60, 'od 1 do 1440 minut')
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number({ error: 'musi być liczbą godzin' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 720 godzin')
    .max(720, 'od 1 do 720 godzin')
    .default(12),
  TRUST_PROXY: trustProxySchema.default(false),
  LOGIN_RATE_LIMIT: z.coerce
    .number({ error: 'musi być liczbą' })
    .int('musi być liczbą całkowitą')
    .min(1, 'co najmniej 1')
    .max(10_000, 'najwyżej 10000')
    .default(10),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'musi zaczynać się od smtp:// lub smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Konsultacje Toruń <konsultacje@localhost>'),
  MAIL_REPLY_TO: z.string().min(3).optional(),
  MAIL_DIR: z.string().min(1).optional(),
  MAIL_COALESCE_SECONDS: z.coerce
    .number({ error: 'musi być liczbą sekund' })
    .int('musi być liczbą całkowitą')
    .min(0, 'od 0 do 86400')
    .max(86_400, 'od 0 do 86400')
    .default(300),
  MAIL_RETRY_BASE_SECONDS: z.coerce
    .number({ error: 'musi być liczbą sekund' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 3600')
    .max(3600, 'od 1 do 3600')
    .default(60),
  MAIL_MAX_ATTEMPTS: z.coerce
    .number({ error: 'musi być liczbą' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 50')
    .max(50, 'od 1 do 50')
    .default(8),
  MAIL_RETENTION_DAYS: z.coerce
    .number({ error: 'musi być liczbą dni' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 3650')
    .max(3650, 'od 1 do 3650')
    .default(30),
  MAIL_LEASE_SECONDS: z.coerce
    .number({ error: 'musi być liczbą sekund' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 3600')
    .max(3600, 'od 1 do 3600')
    .default(120),
  MAIL_SEND_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'musi być liczbą sekund' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 600')
    .max(600, 'od 1 do 600')
    .default(30),
  MAIL_WORKER: booleanFlag.default(true),
  TRIAGE_DUE_WORKING_DAYS: z.coerce
    .number({ error: 'musi być liczbą dni roboczych' })
    .int('musi być liczbą całkowitą')
    .min(1, 'od 1 do 120 dni roboczych')
    .max(120, 'od 1 do 120 dni roboczych')
    .default(14),
  SHUTDOWN_GRACE_SECONDS: z.coerce
    .number({ error: 'musi być liczbą sekund' })
    .int('musi być liczbą całkowitą')
    .min(0, 'od 0 do 60')
    .max(60, 'od 0 do 60')
    .default(10),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'jeden z: fatal, error, warn, info, debug, trace, silent',
    })
    .default('warn'),
});

/** The variables that only make sense together. */
const checkedEnvSchema = envSchema.superRefine((e, ctx) => {
  if (e.BASE_URL?.startsWith('https:') && e.TRUST_PROXY === false)
    ctx.addIssue({ code: 'custom', path: ['BASE_URL'], message: HTTPS_WITHOUT_PROXY_ERROR });
});

export type Config = {
  port: number;
  host: string;
  databasePath: string;
  baseUrl: string;
  viewCache: boolean;
  logLevel: string;
  sessionSecret?: string;
  sessionIdleMinutes: number;
  /** a session ends this long after login, however active */
  sessionAbsoluteHours: number;
  /** Fastify's trustProxy: which X-Forwarded-For hops to believe for request.ip (never "all of them") */
  trustProxy: false | number | string[];
  /** login attempts per IP address per minute */
  loginRateLimit: number;
  /** the due date bulk triage proposes: this many working days (Monday to Friday) after today */
  triageDueWorkingDays: number;
  /** on SIGTERM, requests and mails in flight get this long; then what is left is cut off */
  shutdownGraceSeconds: number;
  mail: MailConfig;
};

/** Outgoing mail: the outbox worker's settings. */
export type MailConfig = {
  /** pooled SMTP transport; without it mails are written as .eml files into `dir` */
  smtpUrl?: string;
  dir: string;
  from: string;
  replyTo?: string;
  coalesceSeconds: number;
  retryBaseSeconds: number;
  maxAttempts: number;
  retentionDays: number;
  /** how long a worker holds the rows it claimed unless it renews the lease (it does, every third of it) */
  leaseSeconds: number;
  /** the longest one mail may take over SMTP, connecting included; then it is given up on and tried again */
  sendTimeoutSeconds: number;
  /** run the in-process worker (false: only enqueue, e.g. in a second process) */
  worker: boolean;
};

export class ConfigError extends Error {}

/** Parses the environment once; a bad value names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedEnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message} (wartość: ${JSON.stringify(env[String(i.path[0])])})`,
    );
    throw new ConfigError(`Nieprawidłowa konfiguracja w zmiennych środowiskowych:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_URL,
    baseUrl: (e.BASE_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/$/, ''),
    viewCache: e.VIEW_CACHE,
    logLevel: e.LOG_LEVEL,
    sessionSecret: e.SESSION_SECRET,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionAbsoluteHours: e.SESSION_ABSOLUTE_HOURS,
    trustProxy: e.TRUST_PROXY,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    triageDueWorkingDays: e.TRIAGE_DUE_WORKING_DAYS,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    mail: {
      smtpUrl: e.SMTP_URL,
      dir: e.MAIL_DIR ?? path.join(path.dirname(e.DATABASE_URL), 'mail'),
      from: e.MAIL_FROM,
      replyTo: e.MAIL_REPLY_TO,
      coalesceSeconds: e.MAIL_COALESCE_SECONDS,
      retryBaseSeconds: e.MAIL_RETRY_BASE_SECONDS,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      retentionDays: e.MAIL_RETENTION_DAYS,
      leaseSeconds: e.MAIL_LEASE_SECONDS,
      sendTimeoutSeconds: e.MAIL_SEND_TIMEOUT_SECONDS,
      worker: e.MAIL_WORKER,
    },
  };
}
