import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends the Polish error page (JSON where JSON is wanted) with this status and message (src/app.ts). */
    sendErrorPage(
      request: FastifyRequest,
      reply: FastifyReply,
      statusCode: number,
      message: string,
    ): Promise<FastifyReply>;
  }
}

/**
 * The one dictionary of what users are told when something goes wrong, in Polish: page titles
 * per status, messages for the errors the framework, the database and zod raise, and the
 * start-up failures the server prints. Nothing in English (zod's, Fastify's, Node's or
 * SQLite's own words) reaches a user.
 */

export const STATUS_TITLES: Record<number, string> = {
  400: 'Nieprawidłowe żądanie',
  401: 'Wymagane logowanie',
  403: 'Brak dostępu',
  404: 'Nie znaleziono strony',
  405: 'Niedozwolona metoda',
  408: 'Przekroczono czas żądania',
  409: 'Konflikt zmian',
  413: 'Za duże dane',
  414: 'Za długi adres',
  415: 'Nieobsługiwany format danych',
  422: 'Nieprawidłowe dane',
  429: 'Zbyt wiele żądań',
  431: 'Za długi adres lub nagłówki',
  500: 'Błąd serwera',
  503: 'Serwis chwilowo niedostępny',
};

export function statusTitle(statusCode: number): string {
  return STATUS_TITLES[statusCode] ?? (statusCode >= 500 ? 'Błąd serwera' : 'Błąd');
}

export const MESSAGES = {
  badRequest: 'Żądanie jest nieprawidłowe.',
  badUrl: 'Adres zawiera nieprawidłowe znaki. Sprawdź adres albo wróć do listy propozycji.',
  notFound: 'Nie ma strony pod tym adresem. Sprawdź adres albo wróć do listy propozycji.',
  methodNotAllowed: (allow: string[]) =>
    `Pod tym adresem nie można wykonać tej operacji (dozwolone metody: ${allow.join(', ')}).`,
  csrf: 'Formularz wygasł lub nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie.',
  requestTimeout: 'Żądanie trwało zbyt długo. Spróbuj ponownie.',
  payloadTooLarge: 'Przesłane dane są zbyt duże.',
  uriTooLong: 'Adres strony jest zbyt długi. Sprawdź adres albo wróć do listy propozycji.',
  headersTooLarge: 'Adres strony lub nagłówki żądania są zbyt długie. Sprawdź adres albo wróć do listy propozycji.',
  unsupportedMediaType: 'Nieobsługiwany format przesłanych danych.',
  tooManyRequests: 'Zbyt wiele prób w krótkim czasie. Odczekaj chwilę i spróbuj ponownie.',
  internal:
    'Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę; jeśli błąd się powtarza, ' +
    'skontaktuj się z Biurem Dialogu i Innowacji Miejskich.',
  diskFull:
    'Brak miejsca na dysku serwera: zmian nie można teraz zapisać. Przeglądanie działa nadal; ' +
    'spróbuj ponownie później, a jeśli problem trwa, powiadom administratora serwisu.',
  readOnly:
    'Baza danych jest teraz tylko do odczytu: zmian nie można zapisać. Przeglądanie działa nadal; ' +
    'powiadom administratora serwisu.',
  busy: 'Baza danych jest chwilowo zajęta. Spróbuj ponownie za kilka sekund.',
  loginDiskFull:
    'Nie można się teraz zalogować: na dysku serwera zabrakło miejsca, więc nie da się zapisać sesji. ' +
    'Strony publiczne działają nadal. Spróbuj ponownie później, a jeśli problem trwa, powiadom administratora serwisu.',
  loginReadOnly:
    'Nie można się teraz zalogować: baza danych jest tylko do odczytu, więc nie da się zapisać sesji. ' +
    'Strony publiczne działają nadal; powiadom administratora serwisu.',
  loginBusy: 'Nie można się teraz zalogować: baza danych jest chwilowo zajęta. Spróbuj ponownie za kilka sekund.',
  controlCharacters:
    'Tekst zawiera niedozwolone znaki sterujące (np. niewidoczne znaki zmieniające kierunek ' +
    'tekstu). Usuń je i spróbuj ponownie.',
} as const;

// ---- requests that want JSON ---------------------------------------------------------------------

const JSON_PATHS = /^\/(export\/|healthz(?:$|[/?]))/;

/** JSON for the open-data export, the health check, and clients that accept only JSON. */
export function wantsJson(request: Pick<FastifyRequest, 'url' | 'headers'>): boolean {
  if (JSON_PATHS.test(request.url)) return true;
  const accept = request.headers.accept;
  if (!accept) return false;
  const types = accept
    .split(',')
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter(Boolean);
  return types.length > 0 && types.every((t) => t === 'application/json' || /^application\/[\w.+-]+\+json$/.test(t));
}

// ---- SQLite errors that mean "the storage cannot take writes now" -------------------------------

export type StorageTrouble = {
  statusCode: 503;
  message: string;
  /** what the login form says when the session cannot be written */
  loginMessage: string;
  retryAfterSeconds: number;
  code: string;
  /** the database takes no writes at all (full disk, read-only file), rather than being busy for a moment */
  readOnly: boolean;
};

/** SQLITE_FULL / _READONLY / _BUSY (also wrapped as a cause) → a 503 with a Polish message. */
export function storageTrouble(err: unknown): StorageTrouble | null {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const trouble = (message: string, loginMessage: string, retryAfterSeconds: number, readOnly: boolean) => ({
      statusCode: 503 as const,
      message,
      loginMessage,
      retryAfterSeconds,
      code,
      readOnly,
    });
    if (code === 'SQLITE_FULL') return trouble(MESSAGES.diskFull, MESSAGES.loginDiskFull, 300, true);
    if (code.startsWith('SQLITE_READONLY')) return trouble(MESSAGES.readOnly, MESSAGES.loginReadOnly, 300, true);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      return trouble(MESSAGES.busy, MESSAGES.loginBusy, 5, false);
  }
  return null;
}

// ---- failures outside a request: start-up, import, backup ----------------------------------------

type SystemError = { code?: unknown; syscall?: unknown; path?: unknown; cause?: unknown };

/** The first error code (SQLite's or the system's) on the error or its causes. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as SystemError).cause, depth++) {
    const code = (e as SystemError).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * What is wrong with the database file or the disk, in Polish (lower case, no full stop), or null
 * when the error is not one of those.
 */
export function storageProblem(err: unknown, databasePath: string): string | null {
  const code = errorCode(err) ?? '';
  const file = databasePath;
  const where = typeof (err as SystemError).path === 'string' ? ((err as SystemError).path as string) : file;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return `baza danych jest zajęta przez inny proces (np. trwający import albo zapis w serwisie): ${file}`;
  if (code.startsWith('SQLITE_READONLY'))
    return (
      `plik bazy danych ${file} jest tylko do odczytu ` +
      '(sprawdź uprawnienia do pliku, jego plików -wal i -shm oraz folderu)'
    );
  if (code.startsWith('SQLITE_CANTOPEN'))
    return (
      `nie można otworzyć ani utworzyć pliku bazy danych ${file} ` +
      '(folder nie istnieje albo brak w nim uprawnień do zapisu)'
    );
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `brak miejsca na dysku (${where})`;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return `plik ${file} nie jest prawidłową bazą danych SQLite albo jest uszkodzony`;
  if (code.startsWith('SQLITE_IOERR'))
    return `błąd odczytu lub zapisu pliku bazy danych ${file} (dysk niedostępny albo pełny?)`;
  if (code === 'EACCES' || code === 'EPERM') return `brak uprawnień do zapisu: ${where}`;
  if (code === 'EROFS') return `system plików jest tylko do odczytu: ${where}`;
  if (code === 'ENOTDIR' || code === 'ENOENT') return `nie ma takiego folderu: ${where}`;
  return null;
}

/** Fits any message on one line (for the one-line start-up and CLI errors). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The one line the server prints when it cannot start (no stack trace). */
export function startupFailureMessage(err: unknown, ctx: { databasePath: string; host: string; port: number }): string {
  const prefix = 'Nie można uruchomić serwera: ';
  const code = errorCode(err);
  if (code === 'EADDRINUSE')
    return (
      `${prefix}port ${ctx.port} na adresie ${ctx.host} jest już zajęty przez inny program – ` +
      'zatrzymaj go albo ustaw inny port w zmiennej PORT.'
    );
  if (code === 'EACCES' && (err as SystemError).syscall === 'listen')
    return (
      `${prefix}brak uprawnień do portu ${ctx.port} ` +
      '(porty poniżej 1024 wymagają uprawnień administratora) – ustaw inny port w zmiennej PORT.'
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return `${prefix}adres ${ctx.host} nie należy do tego komputera – sprawdź zmienną HOST.`;
  // a database migrated by newer code (src/db/migrations.ts): its message says what to run instead
  if (code === 'DATABASE_NEWER_THAN_CODE') return oneLine(`${prefix}${(err as Error).message}.`);
  const problem = storageProblem(err, ctx.databasePath);
  if (problem) return `${prefix}${problem}.`;
  const detail = err instanceof Error ? `${code ? `${code}: ` : ''}${err.message}` : String(err);
  return oneLine(`${prefix}nieoczekiwany błąd (${detail}).`);
}

// ---- Fastify's own errors ------------------------------------------------------------------------

/** Status and Polish message for an error that is not ours (Fastify, plugins, Node). */
export function frameworkErrorMessage(error: { statusCode?: number; code?: string }): {
  statusCode: number;
  message: string;
} {
  let statusCode = error.statusCode ?? 500;
  if (statusCode < 400 || statusCode > 599) statusCode = 500;
  const code = error.code ?? '';
  if (code === 'FST_ERR_BAD_URL') return { statusCode: 400, message: MESSAGES.badUrl };
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return { statusCode: 414, message: MESSAGES.uriTooLong };
  if (code.startsWith('FST_CSRF')) return { statusCode, message: MESSAGES.csrf };
  if (statusCode >= 500) return { statusCode, message: MESSAGES.internal };
  const byStatus: Record<number, string> = {
    404: MESSAGES.notFound,
    408: MESSAGES.requestTimeout,
    413: MESSAGES.payloadTooLarge,
    414: MESSAGES.uriTooLong,
    415: MESSAGES.unsupportedMediaType,
    429: MESSAGES.tooManyRequests,
    431: MESSAGES.headersTooLarge,
  };
  return { statusCode, message: byStatus[statusCode] ?? MESSAGES.badRequest };
}

/** A whole HTTP response for errors raised before Fastify has a request (Node's parser: 431, 400). */
export function rawErrorResponse(statusCode: number, message: string): string {
  const title = statusTitle(statusCode);
  const body =
    `<!doctype html>\n<html lang="pl"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>${message}</p><p><a href="/">Wróć do listy propozycji</a></p></body></html>\n`;
  const reason = { 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[statusCode] ?? 'Bad Request';
  return [
    `HTTP/1.1 ${statusCode} ${reason}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Fastify's `frameworkErrors` option: a malformed URL (`/%E0%A4%A`) or an over-long route parameter
 * (over `maxParamLength`) gets the same Polish page as every other error instead of Fastify's JSON.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { statusCode, message } = frameworkErrorMessage(error);
  const server = request.server;
  if (typeof server.sendErrorPage === 'function') void server.sendErrorPage(request, reply, statusCode, message);
  else void reply.code(statusCode).type('text/plain; charset=utf-8').send(message);
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refuses a request before Fastify sees it, above
 * all one whose URL or headers exceed the header size limit (431). Answered in Polish, as HTML.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const { message } = frameworkErrorMessage({ statusCode });
  if (!socket.writable) {
    socket.destroy(err);
    return;
  }
  socket.end(rawErrorResponse(statusCode, message), () => socket.destroy());
}

// ---- zod issues in Polish ------------------------------------------------------------------------

/** 1 znak, 2 znaki, 5 znaków */
export function plural(n: number, one: string, few: string, many: string): string {
  if (n === 1) return one;
  const lastTwo = n % 100;
  const last = n % 10;
  return last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14) ? few : many;
}

type Issue = z.core.$ZodRawIssue;

const characters = (n: number) => plural(n, 'znak', 'znaki', 'znaków');

/**
 * A Polish message for any zod issue a schema did not word itself (schemas' own messages win).
 * Installed as zod's global error map below, so forms get it too.
 */
export function polishIssue(issue: Issue): string {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined || input === null) return 'To pole jest wymagane.';
      if (Array.isArray(input) && issue.expected !== 'array')
        return 'Podano kilka wartości tam, gdzie oczekiwano jednej.';
      if (issue.expected === 'number' || issue.expected === 'int') return 'Podaj liczbę.';
      return 'Nieprawidłowa wartość.';
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string')
        return min <= 1 ? 'To pole nie może być puste.' : `Wpisz co najmniej ${min} ${characters(min)}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `Wybierz co najmniej ${min}.`;
      return `Wartość musi wynosić co najmniej ${min}.`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `Tekst może mieć najwyżej ${max} ${characters(max)}.`;
      if (issue.origin === 'array' || issue.origin === 'set') return 'Wybrano zbyt wiele wartości.';
      return `Wartość może wynosić najwyżej ${max}.`;
    }
    case 'invalid_format':
      return issue.format === 'email' ? 'Podaj prawidłowy adres e-mail.' : 'Nieprawidłowy format wartości.';
    case 'invalid_value':
      return 'Wybierz jedną z dozwolonych wartości.';
    default:
      return 'Nieprawidłowa wartość.';
  }
}

/** For query strings: names the parameter, since it is visible in the address. */
export function queryIssue(issue: Issue): string {
  const name = issue.path?.length ? String(issue.path[0]) : '';
  if (!name) return MESSAGES.badRequest;
  if (Array.isArray(issue.input) && issue.code === 'invalid_type' && issue.expected !== 'array')
    return `Parametr „${name}” może wystąpić w adresie tylko raz.`;
  const detail = polishIssue(issue);
  return `Nieprawidłowa wartość parametru „${name}”: ${detail[0]!.toLowerCase()}${detail.slice(1)}`;
}

z.config({ customError: polishIssue });
