import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/client.js';
import { readDataVersion } from '../db/version.js';

/** What a render may produce: a body to cache, or a stream that is sent as it comes and never cached. */
export type RenderedBody = string | Buffer | Readable;

export type CachedResponseOptions = {
  /**
   * Names the response: built with `cacheKey` from the route and its validated, normalised
   * parameters only, never from the raw URL, so junk query strings share one entry.
   */
  key: string;
  contentType: string;
  /**
   * Makes the body. A render that is going to return a stream calls `streaming()` as soon as it knows, before it
   * waits for anything (an export slot): requests for the same key that arrived meanwhile then render their own
   * instead of waiting behind it, since a stream belongs to one response.
   */
  render: (streaming: () => void) => Promise<RenderedBody> | RenderedBody;
  /**
   * The request headers the body depends on besides Accept-Encoding (default: the htmx headers and
   * the session cookie; '' for none).
   */
  vary?: string;
  /** The same body for everyone, signed in or not (the open-data export); otherwise staff get a private render. */
  shared?: boolean;
};

export type PageCacheOptions = {
  /** distinct cached responses kept at once */
  maxEntries?: number;
  /** total bytes of cached bodies, compressed copies included */
  maxBytes?: number;
  /** a body bigger than this is sent but not cached (and not compressed) */
  maxEntryBytes?: number;
  /**
   * How stale the data version may be after a write by another process (the import CLI): it is read
   * again at most this often (default 1000 ms; 0: on every request). Writes by this process are seen at once.
   */
  versionCheckMs?: number;
  /** the clock for versionCheckMs (tests) */
  now?: () => number;
};

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Serves a public, read-only response from an in-memory cache keyed by the data version
     * (bumped by every write) and `options.key`, brotli- or gzip-compressed when the client takes
     * it; answers 304 to a matching If-None-Match without rendering.
     */
    cachedResponse(request: FastifyRequest, reply: FastifyReply, options: CachedResponseOptions): Promise<FastifyReply>;
    /** How much the page cache holds now (for tests and the benchmark). */
    pageCacheStats(): { entries: number; bytes: number };
  }
}

export type Encoding = 'br' | 'gzip' | 'identity';

/** One stored form of a response: its bytes, its ETag and its Content-Encoding. */
type Variant = { body: Buffer; etag: string; encoding: Encoding };

type Entry = {
  /** the ETag's core (no W/, no quotes); the compressed variants add -br and -gzip */
  tag: string;
  contentType: string;
  identity: Variant;
  /** undefined: not asked for yet; null: not worth it (or failed), the identity bytes are sent */
  br?: Variant | null;
  gzip?: Variant | null;
  /** a compression under way, shared by the requests that wait for it */
  pending: Partial<Record<Compressed, Promise<Variant | null>>>;
  /** bytes of all variants, as counted in the cache total */
  size: number;
};
type Compressed = 'br' | 'gzip';

/** Smaller bodies are sent as they are: compression would save a few hundred bytes at best. */
const MIN_COMPRESS_BYTES = 1024;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Compresses in libuv's thread pool, off the event loop. Brotli quality 5 is ~30 times cheaper than
 * 11 for ~10 % more bytes: every write empties the cache, so each page is compressed again soon.
 */
function compressBody(body: Buffer, encoding: Compressed): Promise<Buffer> {
  if (encoding === 'gzip') return gzip(body, { level: 6 });
  return brotli(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

/**
 * A cache key from a route name and its parsed parameters: undefined values dropped, names
 * sorted, so equivalent requests (`?table=01&junk=1` and `?table=1`) name the same response.
 */
export function cacheKey(route: string, params: Record<string, string | number | boolean | null | undefined> = {}) {
  const parts = Object.keys(params)
    .sort()
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(params[k]))}`);
  return `${route}?${parts.join('&')}`;
}

/**
 * The encoding to send for an Accept-Encoding header (RFC 9110 §12.5.3): the one with the highest
 * q-value among br and gzip, br on a tie, `*` standing for those not named; identity when neither is
 * acceptable. Browsers send a handful of distinct headers, so the answers are remembered.
 */
export function negotiateEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const known = negotiated.get(header);
  if (known) return known;
  const q: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';');
    const coding = name!.trim().toLowerCase();
    if (!coding) continue;
    let value = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q') value = Number(v?.trim());
    }
    q[coding] = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
  }
  const br = q.br ?? q['*'] ?? 0;
  const gz = q.gzip ?? q['x-gzip'] ?? q['*'] ?? 0;
  const chosen: Encoding = br > 0 && br >= gz ? 'br' : gz > 0 ? 'gzip' : 'identity';
  if (negotiated.size >= 256) negotiated.clear();
  negotiated.set(header, chosen);
  return chosen;
}
const negotiated = new Map<string, Encoding>();

/** What a render in flight resolves to for the requests waiting on it once it said it will stream. */
const STREAMING = Symbol('streaming');
/** For a render nobody else waits on. */
const notStreamed = () => {};

function isStream(body: RenderedBody | Entry): body is Readable {
  return typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as Readable).pipe === 'function';
}

/**
 * The ETag the If-None-Match header names, when it names one of this response's (weak) ETags: its
 * identity, brotli or gzip form, which all stand for the same content of the same data version.
 */
function matchingTag(header: string | undefined, tag: string): string | null {
  if (!header) return null;
  for (const t of header.split(',')) {
    const candidate = t.trim();
    if (candidate === '*') return `W/"${tag}"`;
    const bare = candidate.replace(/^W\//, '');
    if (bare === `"${tag}"` || bare === `"${tag}-br"` || bare === `"${tag}-gzip"`) return `W/${bare}`;
  }
  return null;
}

/**
 * The data version without a database read per request. Every write this process makes goes through
 * its one connection, where temporary triggers on `meta` (connection-local: no schema change) call back
 * and mark the version stale; a write by another process is caught by reading it again at most every
 * `checkMs`. A rolled-back write only costs one read more.
 */
export function dataVersionWatcher(database: Database, checkMs: number, now: () => number): () => number {
  const read = () => readDataVersion(database.db);
  if (checkMs <= 0) return read;
  let stale = true;
  let readAt = 0;
  let version = 0;
  try {
    database.sqlite.function('page_cache_data_changed', { varargs: false, deterministic: false }, () => {
      stale = true;
      return null;
    });
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      const row = event === 'DELETE' ? 'OLD' : 'NEW';
      database.sqlite.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS page_cache_meta_${event.toLowerCase()} AFTER ${event} ON main.meta ` +
          `WHEN ${row}.key = 'data_version' BEGIN SELECT page_cache_data_changed(); END`,
      );
    }
  } catch {
    return read; // e.g. a read-only connection: read on every request as before
  }
  return () => {
    const t = now();
    if (stale || t - readAt >= checkMs) {
      // cleared before the read: a write between the two marks it stale again
      stale = false;
      readAt = t;
      version = read();
    }
    return version;
  };
}

export default fp<PageCacheOptions>(
  async (app, opts) => {
    const maxEntries = opts.maxEntries ?? 500;
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    const maxEntryBytes = Math.min(opts.maxEntryBytes ?? 8 * 1024 * 1024, maxBytes);
    const dataVersion = dataVersionWatcher(
      app.database,
      opts.versionCheckMs ?? 1000,
      opts.now ?? performance.now.bind(performance),
    );
    // ETags hold no hash of the body, so a 304 needs no render; a new process (new templates) gets new ones
    const boot = randomBytes(4).toString('hex');
    const cache = new Map<string, Entry>();
    const inFlight = new Map<string, Promise<Entry | Readable | typeof STREAMING>>();
    // the Vary header for each distinct `vary` option, built once
    const varyHeaders = new Map<string, string>();
    let cachedVersion = -1;
    let bytes = 0;

    const forget = (key: string) => {
      const entry = cache.get(key);
      if (!entry) return;
      cache.delete(key);
      bytes -= entry.size;
    };

    const evict = () => {
      // least recently used first (a hit moves its entry to the end)
      while (cache.size > maxEntries || bytes > maxBytes) forget(cache.keys().next().value as string);
    };

    const remember = (key: string, entry: Entry) => {
      forget(key);
      cache.set(key, entry);
      bytes += entry.size;
      evict();
    };

    /** The ETag of a response (without W/ and quotes): no body hash, so it is known before rendering. */
    const tagOf = (key: string, version: number) =>
      `${version.toString(36)}-${createHash('sha256').update(key).digest('base64url').slice(0, 16)}-${boot}`;

    /**
     * The entry's body in an encoding, compressed once, when a client first asks for it (clients that
     * never do cost nothing); it joins the entry and the byte count.
     */
    const compress = (key: string, entry: Entry, encoding: Compressed): Promise<Variant | null> => {
      const pending = entry.pending[encoding];
      if (pending) return pending;
      const made = compressBody(entry.identity.body, encoding).then(
        (body): Variant | null => {
          // a compressed form no smaller than the original is not worth a header
          const variant =
            body.length < entry.identity.body.length ? { body, etag: `W/"${entry.tag}-${encoding}"`, encoding } : null;
          entry[encoding] = variant;
          delete entry.pending[encoding];
          if (variant) {
            entry.size += body.length;
            if (cache.get(key) === entry) {
              bytes += body.length;
              evict();
            }
          }
          return variant;
        },
        (err: unknown) => {
          app.log.warn({ err }, 'page cache: compression failed; sending uncompressed');
          entry[encoding] = null;
          delete entry.pending[encoding];
          return null;
        },
      );
      entry.pending[encoding] = made;
      return made;
    };

    const produce = async (
      key: string,
      tag: string,
      options: CachedResponseOptions,
      streaming: () => void = notStreamed,
    ): Promise<Entry | Readable> => {
      const version = cachedVersion;
      const body = await options.render(streaming);
      if (isStream(body)) return body;
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const entry: Entry = {
        tag,
        contentType: options.contentType,
        identity: { body: buffer, etag: `W/"${tag}"`, encoding: 'identity' },
        pending: {},
        size: buffer.length,
      };
      // too big to keep: sent once as it is, not worth compressing for one response; too small to bother
      if (buffer.length > maxEntryBytes || buffer.length < MIN_COMPRESS_BYTES) {
        entry.br = null;
        entry.gzip = null;
      }
      if (buffer.length > maxEntryBytes) return entry;
      // a write while rendering cleared the cache: this body belongs to no version still served
      if (version === cachedVersion) remember(key, entry);
      return entry;
    };

    /** Renders once per key even when many requests for it arrive together. */
    const renderOnce = async (key: string, tag: string, options: CachedResponseOptions): Promise<Entry | Readable> => {
      const pending = inFlight.get(key);
      if (pending) {
        const body = await pending;
        // a stream belongs to the request that asked first; this one renders its own
        return body === STREAMING || isStream(body) ? produce(key, tag, options) : body;
      }
      let flight: Promise<Entry | Readable | typeof STREAMING> | undefined;
      let announce: ((value: typeof STREAMING) => void) | undefined;
      let streamed = false;
      // a later request may already have started the next flight for this key: leave that one
      const land = () => {
        if (flight && inFlight.get(key) === flight) inFlight.delete(key);
      };
      const own = produce(key, tag, options, () => {
        streamed = true;
        land();
        announce?.(STREAMING);
      });
      // said so before it first waited: nobody can have joined it, and nobody should
      if (streamed) return own;
      const announced = new Promise<typeof STREAMING>((resolve) => {
        announce = resolve;
      });
      flight = Promise.race([own, announced]);
      // the requests that join it see its error; the request that started it sees it through `own`
      flight.catch(() => {});
      inFlight.set(key, flight);
      own.then(land, land);
      return own;
    };

    const send = async (key: string, reply: FastifyReply, entry: Entry, encoding: Encoding) => {
      let variant = entry.identity;
      if (encoding !== 'identity') {
        const ready = entry[encoding];
        // the first requests for an encoding wait for its compression (off the event loop)
        const compressed = ready === undefined ? await compress(key, entry, encoding) : ready;
        if (compressed) variant = compressed;
      }
      if (variant.encoding !== 'identity') reply.header('Content-Encoding', variant.encoding);
      return reply.header('ETag', variant.etag).type(entry.contentType).send(variant.body);
    };

    app.decorate('pageCacheStats', () => ({ entries: cache.size, bytes }));

    app.decorate('cachedResponse', respond);

    async function respond(request: FastifyRequest, reply: FastifyReply, options: CachedResponseOptions) {
      const vary = options.vary ?? 'HX-Request, HX-Target, Cookie';
      let varyHeader = varyHeaders.get(vary);
      if (varyHeader === undefined) {
        varyHeader = vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding';
        varyHeaders.set(vary, varyHeader);
      }
      reply.header('Vary', varyHeader);
      // signed-in staff see their own header (and forms with their CSRF token): never shared
      if (request.user && !options.shared) {
        reply.header('Cache-Control', 'private, no-store');
        return reply.type(options.contentType).send(await options.render(notStreamed));
      }
      const version = dataVersion();
      if (version !== cachedVersion) {
        // entries of an older version can never be served again
        cache.clear();
        bytes = 0;
        cachedVersion = version;
      }
      const key = `${version}\u0000${options.key}`;
      const encoding = negotiateEncoding(request.headers['accept-encoding']);
      reply.header('Cache-Control', 'no-cache');

      const entry = cache.get(key);
      if (entry) {
        const notModified = matchingTag(request.headers['if-none-match'], entry.tag);
        if (notModified) return reply.code(304).header('ETag', notModified).send();
        cache.delete(key); // keep recently used entries at the end (LRU)
        cache.set(key, entry);
        return send(key, reply, entry, encoding);
      }
      const tag = tagOf(key, version);
      const notModified = matchingTag(request.headers['if-none-match'], tag);
      if (notModified) return reply.code(304).header('ETag', notModified).send();
      const body = await renderOnce(key, tag, options);
      // the ETag is set only now: an error page (404 from the render) must not carry the page's ETag
      if (isStream(body)) return reply.header('ETag', `W/"${tag}"`).type(options.contentType).send(body);
      return send(key, reply, body, encoding);
    }
  },
  { name: 'page-cache', dependencies: ['db', 'session'] },
);
