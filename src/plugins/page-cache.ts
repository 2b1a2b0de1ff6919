import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  render: () => Promise<RenderedBody> | RenderedBody;
  /** The request headers the body depends on (default: the htmx headers and the session cookie; '' for none). */
  vary?: string;
  /** The same body for everyone, signed in or not (the open-data export); otherwise staff get a private render. */
  shared?: boolean;
};

export type PageCacheOptions = {
  /** distinct cached responses kept at once */
  maxEntries?: number;
  /** total bytes of cached bodies */
  maxBytes?: number;
  /** a body bigger than this is sent but not cached */
  maxEntryBytes?: number;
};

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Serves a public, read-only response from an in-memory cache keyed by the data version
     * (bumped by every write) and `options.key`; answers 304 to a matching If-None-Match
     * without rendering.
     */
    cachedResponse(request: FastifyRequest, reply: FastifyReply, options: CachedResponseOptions): Promise<FastifyReply>;
    /** How much the page cache holds now (for tests and the benchmark). */
    pageCacheStats(): { entries: number; bytes: number };
  }
}

type Entry = { body: Buffer; contentType: string };

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

function isStream(body: RenderedBody): body is Readable {
  return typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as Readable).pipe === 'function';
}

/** True when the If-None-Match header names this (weak) ETag. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}

export default fp<PageCacheOptions>(
  async (app, opts) => {
    const maxEntries = opts.maxEntries ?? 500;
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    const maxEntryBytes = Math.min(opts.maxEntryBytes ?? 8 * 1024 * 1024, maxBytes);
    // ETags hold no hash of the body, so a 304 needs no render; a new process (new templates) gets new ones
    const boot = randomBytes(4).toString('hex');
    const cache = new Map<string, Entry>();
    const inFlight = new Map<string, Promise<Buffer | Readable>>();
    let cachedVersion = -1;
    let bytes = 0;

    const forget = (key: string) => {
      const entry = cache.get(key);
      if (!entry) return;
      cache.delete(key);
      bytes -= entry.body.length;
    };

    const remember = (key: string, entry: Entry) => {
      if (entry.body.length > maxEntryBytes) return;
      forget(key);
      cache.set(key, entry);
      bytes += entry.body.length;
      // least recently used first (a hit moves its entry to the end)
      while (cache.size > maxEntries || bytes > maxBytes) forget(cache.keys().next().value as string);
    };

    const produce = async (key: string, options: CachedResponseOptions): Promise<Buffer | Readable> => {
      const version = cachedVersion;
      const body = await options.render();
      if (isStream(body)) return body;
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      // a write while rendering cleared the cache: this body belongs to no version still served
      if (version === cachedVersion) remember(key, { body: buffer, contentType: options.contentType });
      return buffer;
    };

    /** Renders once per key even when many requests for it arrive together. */
    const renderOnce = async (key: string, options: CachedResponseOptions): Promise<Buffer | Readable> => {
      const pending = inFlight.get(key);
      if (pending) {
        const body = await pending;
        // a stream belongs to the request that asked first; this one renders its own
        return isStream(body) ? produce(key, options) : body;
      }
      const own = produce(key, options);
      inFlight.set(key, own);
      const done = () => inFlight.delete(key);
      own.then(done, done);
      return own;
    };

    app.decorate('pageCacheStats', () => ({ entries: cache.size, bytes }));

    app.decorate('cachedResponse', respond);

    async function respond(request: FastifyRequest, reply: FastifyReply, options: CachedResponseOptions) {
      const vary = options.vary ?? 'HX-Request, HX-Target, Cookie';
      if (vary) reply.header('Vary', vary);
      // signed-in staff see their own header (and forms with their CSRF token): never shared
      if (request.user && !options.shared) {
        reply.header('Cache-Control', 'private, no-store');
        return reply.type(options.contentType).send(await options.render());
      }
      const version = readDataVersion(app.database.db);
      if (version !== cachedVersion) {
        // entries of an older version can never be served again
        cache.clear();
        bytes = 0;
        cachedVersion = version;
      }
      const key = `${version}\u0000${options.key}`;
      const digest = createHash('sha256').update(key).digest('base64url').slice(0, 16);
      const etag = `W/"${version.toString(36)}-${digest}-${boot}"`;
      reply.header('Cache-Control', 'no-cache');
      if (matches(request.headers['if-none-match'], etag)) return reply.code(304).header('ETag', etag).send();

      const entry = cache.get(key);
      if (entry) {
        cache.delete(key); // keep recently used entries at the end (LRU)
        cache.set(key, entry);
        return reply.header('ETag', etag).type(entry.contentType).send(entry.body);
      }
      const body = await renderOnce(key, options);
      // set only now: an error page (404 from the render) must not carry the page's ETag
      return reply.header('ETag', etag).type(options.contentType).send(body);
    }
  },
  { name: 'page-cache', dependencies: ['db', 'session'] },
);
