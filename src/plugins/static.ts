import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Encoding, negotiateEncoding } from './page-cache.js';
import type { SessionRouteConfig } from './session.js';

export const staticRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../static');

/** A content-hashed URL never changes meaning: browsers keep it a year without asking again. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** An unhashed URL (old pages, links from elsewhere) may get new content: kept briefly, then revalidated. */
export const SHORT_LIVED = 'public, max-age=300';

declare module 'fastify' {
  interface FastifyInstance {
    /** The content-hashed URL of a file in static/ (`style.css` → `/static/style.3f2a9c1b0d4e.css`). */
    assetPath(name: string): string;
  }
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.css', '.js', '.mjs', '.json', '.map', '.svg', '.txt']);

type Asset = {
  name: string;
  hashedName: string;
  contentType: string;
  body: Buffer;
  hash: string;
  compressible: boolean;
  /** made on the first request that asks for each, then kept: static files are compressed once */
  compressed: Partial<Record<'br' | 'gzip', Promise<Buffer | null>>>;
};

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** `style.css` with hash h → `style.h.css`; a name without an extension gets the hash at its end. */
export function hashedName(name: string, hash: string): string {
  const ext = path.posix.extname(name);
  return ext ? `${name.slice(0, -ext.length)}.${hash}${ext}` : `${name}.${hash}`;
}

/** Every file under root, read once (a few small files: the CSS and htmx). */
function loadAssets(root: string): Asset[] {
  const assets: Asset[] = [];
  const walk = (dir: string) => {
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name);
      if (dirent.isDirectory()) walk(full);
      else if (dirent.isFile()) {
        const name = path.relative(root, full).split(path.sep).join('/');
        const body = fs.readFileSync(full);
        const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
        const ext = path.posix.extname(name).toLowerCase();
        assets.push({
          name,
          hashedName: hashedName(name, hash),
          contentType: TYPES[ext] ?? 'application/octet-stream',
          body,
          hash,
          compressible: COMPRESSIBLE.has(ext),
          compressed: {},
        });
      }
    }
  };
  if (fs.existsSync(root)) walk(root);
  return assets;
}

/** The compressed bytes, or null when compressing does not make the file smaller. */
function compressed(asset: Asset, encoding: 'br' | 'gzip'): Promise<Buffer | null> {
  let pending = asset.compressed[encoding];
  if (!pending) {
    // once per process, so the slowest, smallest settings
    const made =
      encoding === 'br'
        ? brotli(asset.body, {
            params: {
              [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
              [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length,
            },
          })
        : gzip(asset.body, { level: zlib.constants.Z_BEST_COMPRESSION });
    pending = made.then(
      (out) => (out.length < asset.body.length ? out : null),
      () => null,
    );
    asset.compressed[encoding] = pending;
  }
  return pending;
}

/** True when If-None-Match names this file's content in any of its encodings. */
function notModified(header: string | undefined, hash: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === `"${hash}"` || tag === `"${hash}-br"` || tag === `"${hash}-gzip"`;
  });
}

/**
 * Files in static/ from memory: under their content-hashed names (what the layout links) with a
 * year's `immutable` lifetime, under their own names with a short one; brotli or gzip by
 * Accept-Encoding, each compressed once.
 */
export default fp<{ root?: string }>(
  async (app, opts) => {
    const byUrl = new Map<string, { asset: Asset; cacheControl: string }>();
    const byName = new Map<string, Asset>();
    for (const asset of loadAssets(opts.root ?? staticRoot)) {
      byName.set(asset.name, asset);
      byUrl.set(asset.name, { asset, cacheControl: SHORT_LIVED });
      byUrl.set(asset.hashedName, { asset, cacheControl: IMMUTABLE });
    }

    app.decorate('assetPath', (name: string) => `/static/${byName.get(name)?.hashedName ?? name}`);

    const config: SessionRouteConfig = { session: false };
    app.get('/static/*', { config }, async (request: FastifyRequest, reply: FastifyReply) => {
      const found = byUrl.get((request.params as { '*': string })['*']);
      if (!found) return reply.callNotFound();
      const { asset, cacheControl } = found;
      reply.header('Cache-Control', cacheControl).header('Vary', 'Accept-Encoding');
      if (notModified(request.headers['if-none-match'], asset.hash)) {
        return reply.code(304).header('ETag', `"${asset.hash}"`).send();
      }
      const encoding: Encoding = asset.compressible
        ? negotiateEncoding(request.headers['accept-encoding'])
        : 'identity';
      if (encoding !== 'identity') {
        const body = await compressed(asset, encoding);
        if (body) {
          return reply
            .header('Content-Encoding', encoding)
            .header('ETag', `"${asset.hash}-${encoding}"`)
            .type(asset.contentType)
            .send(body);
        }
      }
      return reply.header('ETag', `"${asset.hash}"`).type(asset.contentType).send(asset.body);
    });
  },
  { name: 'static' },
);
