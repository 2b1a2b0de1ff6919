import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { addressGroup } from '../auth/throttle.js';
import type { Db } from '../db/client.js';
import { HttpError, parseOr } from '../lib/http.js';
import { cacheKey } from '../plugins/page-cache.js';
import { listQuerySchema, type ListQuery } from '../proposals/schema.js';
import { proposalIdsForExport } from '../proposals/service.js';
import { redirectRenamedUnit, withNotFound, withQueryParam } from '../proposals/routes.js';
import type { MatchKind } from '../search/index.js';
import { csvHead, csvRows, exportRecords } from './records.js';
import { Slots, SlotsBusy } from './slots.js';

const exportQuerySchema = listQuerySchema.omit({ page: true });

/** Rows read, turned into text and sent per step; the event loop is free between steps. */
export const CHUNK_ROWS = 500;
/** Exports up to this many rows are built whole and cached; bigger ones are streamed and never held. */
export const CACHE_MAX_ROWS = 1000;
/** Streamed exports sent at once, how many more may wait for a turn, and how many of those one address may hold. */
const STREAMS_AT_ONCE = 2;
const STREAMS_WAITING = 8;
const STREAMS_PER_ADDRESS = 2;

export type ExportOptions = {
  baseUrl: string;
  /** export requests per IP address per minute (open data: generous; stops scripted floods) */
  rateLimit?: number;
};

type Format = 'json' | 'csv';

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The export as text chunks of at most CHUNK_ROWS proposals, yielding to the event loop between them. Each JSON
 * record says whether it matched the search fully or partially (`match`, as the list's heading does).
 */
async function* exportChunks(
  db: Db,
  format: Format,
  ids: number[],
  consultationSlug: string,
  baseUrl: string,
  match: MatchKind,
) {
  yield format === 'json' ? '[' : csvHead();
  for (let i = 0; i < ids.length; i += CHUNK_ROWS) {
    if (i > 0) await nextTick();
    const records = exportRecords(db, ids.slice(i, i + CHUNK_ROWS), consultationSlug, baseUrl);
    if (format === 'csv') yield csvRows(records);
    else yield (i > 0 ? ',' : '') + records.map((r) => JSON.stringify({ ...r, match })).join(',');
  }
  if (format === 'json') yield ']';
}

async function* asBuffers(chunks: AsyncIterable<string>) {
  for await (const part of chunks) yield Buffer.from(part, 'utf8');
}

type Slot = { slots: Slots; key: string; streaming: () => void };

/**
 * A small export whole (cacheable); a large one as a stream that never holds more than a chunk or two, sent in a
 * slot shared fairly by address (`slot.key`).
 */
async function renderExport(db: Db, slot: Slot, format: Format, query: ListQuery, baseUrl: string) {
  // only ids are held for the whole export; an unknown consultation or unit is a 404 before any byte is sent
  const { consultation, ids, match } = withNotFound(() => proposalIdsForExport(db, query));
  const chunks = exportChunks(db, format, ids, consultation.slug, baseUrl, match);
  if (ids.length > CACHE_MAX_ROWS) {
    slot.streaming();
    const release = await slot.slots.acquire(slot.key);
    const stream = Readable.from(asBuffers(chunks), { objectMode: false, highWaterMark: 1 });
    stream.once('close', release); // sent, failed or abandoned by the client
    return stream;
  }
  let body = '';
  for await (const part of chunks) body += part;
  return body;
}

const routes: FastifyPluginAsync<ExportOptions> = async (app, opts) => {
  const { db } = app.database;
  const perMinute = opts.rateLimit ?? 30;
  const slots = new Slots(STREAMS_AT_ONCE, STREAMS_WAITING, STREAMS_PER_ADDRESS);

  // open data: any web page (an NGO's site) may fetch it from the visitor's browser
  const openData: onRequestHookHandler = (_request, reply, done) => {
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Access-Control-Expose-Headers', 'ETag, Content-Disposition');
    reply.header('Cross-Origin-Resource-Policy', 'cross-origin');
    done();
  };
  const config = {
    rateLimit: {
      max: perMinute,
      timeWindow: '1 minute',
      errorResponseBuilder: () =>
        new HttpError(
          429,
          `Zbyt wiele pobrań eksportu z tego adresu ` +
            `(najwyżej ${perMinute} na minutę). Odczekaj minutę i spróbuj ponownie.`,
        ),
    },
  };

  const serve = (format: Format, contentType: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = parseOr(exportQuerySchema, request.query);
    const moved = redirectRenamedUnit(db, reply, query.unit, (unit) => withQueryParam(request.url, 'unit', unit));
    if (moved) return moved;
    try {
      return await app.cachedResponse(request, reply, {
        key: cacheKey(`export.${format}`, query),
        contentType,
        shared: true,
        vary: '', // the same bytes whatever the request's headers
        render: (streaming) =>
          renderExport(db, { slots, key: addressGroup(request.ip), streaming }, format, query, opts.baseUrl),
      });
    } catch (err) {
      if (!(err instanceof SlotsBusy)) throw err;
      reply.header('Retry-After', '10');
      if (err.reason === 'share') {
        throw new HttpError(
          429,
          'Z tego adresu pobierany jest już duży eksport, a następny czeka na swoją kolej. ' +
            'Poczekaj, aż się zakończą, i spróbuj ponownie.',
        );
      }
      throw new HttpError(503, 'Pełny eksport pobiera teraz wiele osób naraz. Spróbuj ponownie za kilka sekund.');
    }
  };

  app.get('/export/proposals.json', { onRequest: openData, config }, serve('json', 'application/json; charset=utf-8'));

  app.get('/export/proposals.csv', { onRequest: openData, config }, async (request, reply) => {
    reply.header('Content-Disposition', 'attachment; filename="propozycje.csv"');
    return serve('csv', 'text/csv; charset=utf-8')(request, reply);
  });
};

export default routes;
