import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Db } from '../db/client.js';
import { HttpError, parseOr, queryString, wantsFragment } from '../lib/http.js';
import {
  duplicateOriginal,
  duplicatesOf,
  getProposal,
  groupsOfUnit,
  mergedIntoEvents,
  proposalUnitsFor,
  retractedDecision,
} from './queries.js';
import { idParamSchema, listQuerySchema, type ListQuery } from './schema.js';
import { NotFound, proposalList, renamedUnitSlug } from './service.js';
import { pointBlocks } from './text.js';
import { listEvents } from '../events/queries.js';
import { publicHistory } from '../events/present.js';
import { currentDecision } from '../decisions/service.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import { cacheKey } from '../plugins/page-cache.js';
import { todayInWarsaw } from '../lib/dates.js';
import progressRoutes from '../progress/routes.js';

export const RESULTS_ID = 'wyniki';
const HTML = 'text/html; charset=utf-8';

/** The list's filters (what a link back to the list carries), in one order. */
export function listFilters(query: ListQuery) {
  return {
    q: query.q,
    table: query.table,
    unit: query.unit,
    status: query.status,
    outcome: query.outcome,
    consultation: query.consultation,
  };
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  // the consultation's progress page and "Jak czytać statusy" belong with the public list
  await app.register(progressRoutes);

  app.get('/', async (request, reply) => {
    const query = parseOr(listQuerySchema, request.query);
    const moved = redirectRenamedUnit(db, reply, query.unit, (unit) => withQueryParam(request.url, 'unit', unit));
    if (moved) return moved;
    const fragment = wantsFragment(request, RESULTS_ID);
    const render = async () => {
      const model = withNotFound(() => proposalList(db, query));
      const filters = listFilters(query);
      const view = {
        ...(await app.pageContext(request, reply)),
        ...model,
        query: filters,
        resultsId: RESULTS_ID,
        pageUrl: (n: number) => `/${queryString({ ...filters, page: n > 1 ? n : undefined })}`,
        exportQuery: queryString(filters),
        // links to a proposal carry the filters (and page), so its breadcrumb leads back to these results
        backQuery: queryString({ ...filters, page: model.page > 1 ? model.page : undefined }),
        clearUrl: `/${queryString({ consultation: query.consultation })}`,
        filtered: Boolean(query.q || query.table || query.unit || query.status || query.outcome),
        outcomeLabels: OUTCOME_LABELS,
      };
      return app.view(fragment ? 'proposals/_results.njk' : 'proposals/list.njk', { ...view, fragment });
    };
    // keyed on the parsed filters, never the raw URL: unknown parameters do not make new entries
    const key = cacheKey('list', { ...query, fragment });
    return app.cachedResponse(request, reply, { key, contentType: HTML, render });
  });

  app.get('/proposals/:id', async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    // the list's filters, validated like the list's, only to lead the breadcrumb back to the same results
    const back = parseOr(listQuerySchema, request.query);
    const render = async () => {
      const proposal = getProposal(db, id);
      if (!proposal) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');
      const units = proposalUnitsFor(db, [id]).get(id)!;
      const source = units.source.map((u) => ({ ...u, memberOf: groupsOfUnit(db, u.id) }));
      const decision = currentDecision(db, id);
      const history = publicHistory(
        listEvents(db, id, { publicOnly: true }),
        mergedIntoEvents(db, id),
        decision?.publishedAt ?? null,
      );
      const backQuery = queryString({
        ...listFilters(back),
        consultation: back.consultation ?? proposal.consultationSlug,
        page: back.page,
      });
      const filtered = Boolean(back.q || back.table || back.unit || back.status || back.outcome || back.page);
      return app.view('proposals/show.njk', {
        ...(await app.pageContext(request, reply)),
        proposal,
        units,
        source,
        today: todayInWarsaw(),
        blocks: pointBlocks(proposal.points),
        history,
        decision,
        retracted: decision ? null : retractedDecision(db, id),
        outcomeLabels: OUTCOME_LABELS,
        duplicateOf: duplicateOriginal(db, proposal.duplicateOfId),
        duplicates: duplicatesOf(db, id),
        back: { href: `/${backQuery}`, filtered },
      });
    };
    const key = cacheKey('proposal', { ...back, id, today: todayInWarsaw() });
    return app.cachedResponse(request, reply, { key, contentType: HTML, render });
  });
};

/**
 * Answers 301 to the address of the unit's current slug when `slug` is one it had before a rename (`to` builds
 * the address), else undefined: links in mails already sent and bookmarks keep working.
 */
export function redirectRenamedUnit(
  db: Db,
  reply: FastifyReply,
  slug: string | undefined,
  to: (current: string) => string,
): FastifyReply | undefined {
  const current = slug ? renamedUnitSlug(db, slug) : undefined;
  if (!current) return undefined;
  // revalidated on every use: renaming the unit back makes the old slug current again
  reply.header('Cache-Control', 'no-cache');
  return reply.redirect(to(current), 301);
}

/** The query string of a request's address, with its '?' ('' when there is none). */
export function searchOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at);
}

/** The request's address with one query parameter set to `value` (the others kept as they were sent). */
export function withQueryParam(url: string, name: string, value: string): string {
  const search = searchOf(url);
  const params = new URLSearchParams(search);
  params.set(name, value);
  return `${url.slice(0, url.length - search.length)}?${params}`;
}

export function withNotFound<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NotFound) throw new HttpError(404, err.message);
    throw err;
  }
}

export default routes;
