import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * Query parameters whose value is a credential. `token` is the one the app puts in URLs: a subscription's
 * confirm, manage and unsubscribe links, where whoever holds the token controls the subscription. The rest are
 * names that carry secrets by convention, so a link someone invents or a later route does not land in the log.
 */
const SECRET_NAME = /token|secret|passw|csrf|session|signature|api[-_]?key|^(?:key|sig|code|pwd|sid|auth)$/i;

export const REDACTED = '[redacted]';
const ENCODED_REDACTED = encodeURIComponent(REDACTED);

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

const isSecret = (rawName: string) => SECRET_NAME.test(decoded(rawName));

/** URLs inside URLs are followed this deep (a login link whose `next` is a link with its own `next`). */
const MAX_NESTING = 3;

function redactQuery(query: string, depth: number): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      const rawName = part.slice(0, eq);
      if (isSecret(rawName)) return `${rawName}=${REDACTED}`;
      const value = decoded(part.slice(eq + 1));
      if (depth >= MAX_NESTING || !value.includes('=')) return part;
      const inner = value.includes('?') ? redactUrl(value, depth + 1) : redactQuery(value, depth + 1);
      // the marker stays readable: `next=%2Fsubscriptions%2Fmanage%3Ftoken%3D[redacted]`
      return inner === value ? part : `${rawName}=${encodeURIComponent(inner).replaceAll(ENCODED_REDACTED, REDACTED)}`;
    })
    .join('&');
}

/**
 * The URL with the value of every secret query parameter replaced by `[redacted]`, at every level: a parameter
 * whose value is itself a URL or a query string (`/login?next=%2Fsubscriptions%2Fmanage%3Ftoken%3D…`) is
 * redacted inside too (and written back encoded, but for the marker).
 */
export function redactUrl(url: string, depth = 0): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const end = hash < 0 ? url.length : hash;
  return url.slice(0, q + 1) + redactQuery(url.slice(q + 1, end), depth) + url.slice(end);
}

/**
 * `?` or `&`, a name, `=` and a value, the separators also percent-encoded once or more (`%3Ftoken%3D…`,
 * `%253Ftoken%253D…`). Names are short and unencoded here, which keeps the scan linear on any line; a request's
 * URL, where a name may be encoded too, goes through redactUrl first.
 */
const PARAMETER_IN_TEXT =
  /((?:[?&]|%(?:25)*(?:3f|26))([^=&%\s"'<>#?\\]{0,64})(?:=|%(?:25)*3d))((?:(?!%(?:25)*(?:26|3f))[^&#?\s"'<>\\])*)/gi;

/**
 * Free text (a log line with messages such as Fastify's "Route GET:/… not found", error messages and stacks) with
 * the value of every secret query parameter of the URLs it quotes replaced by `[redacted]`. A value is taken to
 * end at a space, a quote, or where the next parameter or a nested URL's query starts, at any level of encoding.
 */
export function redactText(text: string): string {
  if (!text.includes('=') && !/%(?:25)*3d/i.test(text)) return text;
  return text.replace(PARAMETER_IN_TEXT, (match, head: string, name: string) =>
    SECRET_NAME.test(name) ? head + REDACTED : match,
  );
}

/** Fastify's request serializer, with the URL's secrets redacted. */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

type LoggerOption = FastifyServerOptions['logger'];

/**
 * The logger options every process of the app uses (the server, tests, scripts): the request serializer redacts
 * secret query values, and – for what no serializer sees: messages such as Fastify's "Route GET:/… not found",
 * error messages and stacks – every finished log line passes through the same redaction before it is written,
 * at every log level.
 */
export function redactingLogger(logger: LoggerOption): LoggerOption {
  if (!logger) return logger;
  const options = logger === true ? {} : logger;
  const streamWrite = options.hooks?.streamWrite;
  return {
    ...options,
    // Fastify hands the serializer its own request object (ip, host), though its types name the raw one
    serializers: { ...options.serializers, req: serializeRequest as never },
    hooks: { ...options.hooks, streamWrite: (line: string) => redactText(streamWrite ? streamWrite(line) : line) },
  };
}
