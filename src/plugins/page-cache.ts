import fp from 'fastify-plugin';
import { readDataVersion } from '../db/version.js';

type Entry = { body: string; contentType: string; etag: string };

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Serves a public, read-only response from a cache keyed by the data version (bumped by
     * every write), the URL and the htmx target; answers 304 to a matching If-None-Match.
     */
    cachedResponse(
      request: FastifyRequest,
      reply: FastifyReply,
      contentType: string,
      render: () => Promise<string> | string,
    ): Promise<FastifyReply>;
  }
}

function hash(text: string): string {
  // FNV-1a: a cheap, stable tag for the cache key (not for security)
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export default fp<{ maxEntries?: number }>(async (app, opts) => {
  const maxEntries = opts.maxEntries ?? 500;
  const cache = new Map<string, Entry>();

  app.decorate('cachedResponse', async (request, reply, contentType, render) => {
    reply.header('Vary', 'HX-Request, HX-Target, Cookie');
    // signed-in staff see their own header (and forms with their CSRF token): never shared
    if (request.user) {
      reply.header('Cache-Control', 'private, no-store');
      return reply.type(contentType).send(await render());
    }
    const version = readDataVersion(app.database.db);
    const target = request.headers['hx-target'] ?? '';
    const key = `${version}\u0000${request.url}\u0000${target}`;
    reply.header('Cache-Control', 'no-cache');
    let entry = cache.get(key);
    if (entry) {
      cache.delete(key); // keep recently used entries at the end (LRU)
      cache.set(key, entry);
    } else {
      const body = await render();
      entry = { body, contentType, etag: `W/"${version}-${hash(key)}-${body.length.toString(36)}"` };
      cache.set(key, entry);
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    }
    reply.header('ETag', entry.etag);
    if (request.headers['if-none-match'] === entry.etag) return reply.code(304).send();
    return reply.type(entry.contentType).send(entry.body);
  });
}, { name: 'page-cache', dependencies: ['db', 'session'] });
