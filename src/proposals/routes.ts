import type { FastifyPluginAsync } from 'fastify';
import { HttpError, parseOr, queryString, wantsFragment } from '../lib/http.js';
import { getProposal, groupsOfUnit, unitsForProposals } from './queries.js';
import { idParamSchema, listQuerySchema } from './schema.js';
import { NotFound, proposalList } from './service.js';
import { pointBlocks } from './text.js';
import { listEvents } from '../events/queries.js';
import { describeEvent, eventBody } from '../events/present.js';
import { currentDecision } from '../decisions/service.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import { duplicateOriginal } from '../staff/queries.js';
import { cacheKey } from '../plugins/page-cache.js';

export const RESULTS_ID = 'wyniki';
const HTML = 'text/html; charset=utf-8';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/', async (request, reply) => {
    const query = parseOr(listQuerySchema, request.query);
    const fragment = wantsFragment(request, RESULTS_ID);
    const render = async () => {
      const model = withNotFound(() => proposalList(db, query));
      const filters = {
        q: query.q,
        table: query.table,
        unit: query.unit,
        status: query.status,
        consultation: query.consultation,
      };
      const view = {
        ...(await app.pageContext(request, reply)),
        ...model,
        query: filters,
        resultsId: RESULTS_ID,
        pageUrl: (n: number) => `/${queryString({ ...filters, page: n > 1 ? n : undefined })}`,
        exportQuery: queryString(filters),
        filtered: Boolean(query.q || query.table || query.unit || query.status),
      };
      return app.view(fragment ? 'proposals/_results.njk' : 'proposals/list.njk', { ...view, fragment });
    };
    // keyed on the parsed filters, never the raw URL: unknown parameters do not make new entries
    const key = cacheKey('list', { ...query, fragment });
    return app.cachedResponse(request, reply, { key, contentType: HTML, render });
  });

  app.get('/proposals/:id', async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const render = async () => {
      const proposal = getProposal(db, id);
      if (!proposal) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');
      const units = unitsForProposals(db, [id]).get(id) ?? [];
      const unitsWithGroups = units.map((u) => ({ ...u, memberOf: groupsOfUnit(db, u.id) }));
      const timeline = listEvents(db, id, { publicOnly: true }).map((e) => ({
        createdAt: e.createdAt,
        text: describeEvent(e),
        body: eventBody(e),
        note: e.type === 'status.changed' || e.type === 'duplicate.marked' ? e.note : '',
      }));
      return app.view('proposals/show.njk', {
        ...(await app.pageContext(request, reply)),
        proposal,
        units: unitsWithGroups,
        blocks: pointBlocks(proposal.points),
        timeline,
        decision: currentDecision(db, id),
        outcomeLabels: OUTCOME_LABELS,
        duplicateOf: duplicateOriginal(db, proposal.duplicateOfId),
      });
    };
    return app.cachedResponse(request, reply, { key: cacheKey('proposal', { id }), contentType: HTML, render });
  });
};

export function withNotFound<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NotFound) throw new HttpError(404, err.message);
    throw err;
  }
}

export default routes;
