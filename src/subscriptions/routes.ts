import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { truncateWal } from '../db/client.js';
import { HttpError, parseOr } from '../lib/http.js';
import { fieldErrors, singleError, type FieldErrors } from '../lib/forms.js';
import { currentClause, recordClauseShown } from './clause.js';
import {
  emailSchema,
  followFormSchema,
  FREQUENCY_LABELS,
  frequencyFormSchema,
  manageQuerySchema,
  newQuerySchema,
  scopeSchema,
  subscriptionIdSchema,
  tokenSchema,
} from './schema.js';
import { scopeInfo, type ScopeInfo } from './queries.js';
import {
  changeFrequency,
  confirm,
  confirmationFor,
  eraseAll,
  manageView,
  purgeExpiredSubscriptions,
  requestFollow,
  ScopeNotFound,
  unfollow,
  unsubscribeOneClick,
  unsubscribeTarget,
} from './service.js';

export type SubscriptionRoutesOptions = {
  /** follow requests per IP address per 10 minutes (default 20) */
  followRateLimit?: number;
  /** how often unconfirmed requests are purged (default hourly) */
  purgeIntervalMs?: number;
};

const HTML = 'text/html; charset=utf-8';
/** RFC 8058: the only body a one-click unsubscribe POST carries. */
const ONE_CLICK = { name: 'List-Unsubscribe', value: 'One-Click' };

const LINK_PAGES = {
  unknown: {
    statusCode: 404,
    title: 'Nieprawidłowy link',
    message:
      'Ten link nie działa: jest niepełny albo sprawa, której dotyczył, została już zakończona. ' +
      'Jeśli kopiujesz go z wiadomości, sprawdź, czy skopiowano go w całości.',
  },
  expired: {
    statusCode: 410,
    title: 'Link wygasł',
    message:
      'Ten link stracił ważność. Zgłoszenia, których nie potwierdzono w ciągu 7 dni, usuwamy; ' +
      'jeśli nadal chcesz obserwować propozycję, zapisz się ponownie na jej stronie.',
  },
} as const;

/**
 * Following by e-mail, without an account: the follow page and form (double opt-in), confirmation, "Twoje
 * subskrypcje" and the RFC 8058 one-click unsubscribe. Mail itself is written to the outbox here and sent by the
 * worker.
 */
const routes: FastifyPluginAsync<SubscriptionRoutesOptions> = async (app, opts) => {
  const { db } = app.database;
  const followLimit = opts.followRateLimit ?? 20;

  // set when another connection's reader kept an erasure from emptying the write-ahead log: the purge tries again
  let walToEmpty = false;
  const purge = () => {
    // expired requests held addresses too: their deleted rows leave the log with them
    const expired = purgeExpiredSubscriptions(db);
    if (expired > 0 || walToEmpty) walToEmpty = !truncateWal(db);
  };
  purge();
  const purgeTimer = setInterval(() => {
    try {
      purge();
    } catch (err) {
      app.log.error({ err }, 'purging expired subscriptions failed');
    }
  }, opts.purgeIntervalMs ?? 3_600_000);
  purgeTimer.unref();
  app.addHook('onClose', async () => clearInterval(purgeTimer));

  // these pages carry addresses and tokens: never cached, never indexed
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    reply.header('X-Robots-Tag', 'noindex');
  });

  // RFC 8058 lets a mail client send the one-click body as multipart/form-data (and SHOULD); only this plugin
  // parses it, into plain text fields
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 10_000 }, (request, body, done) => {
    done(null, parseMultipartFields(String(request.headers['content-type'] ?? ''), body as string));
  });

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown>,
    { status = 200, csrf = false } = {},
  ) => {
    const context = await app.pageContext(request, reply);
    // generated once per response: a second token on a first visit would name another secret
    const csrfToken = context.csrfToken ?? (csrf ? await reply.csrfToken() : undefined);
    return reply
      .code(status)
      .type(HTML)
      .send(await app.view(template, { ...context, csrfToken, ...data }));
  };

  const linkPage = (request: FastifyRequest, reply: FastifyReply, status: 'unknown' | 'expired' | 'not-yours') => {
    const page = LINK_PAGES[status === 'expired' ? 'expired' : 'unknown'];
    return render(request, reply, 'errors/error.njk', page, { status: page.statusCode });
  };

  const existingScope = (query: unknown): ScopeInfo => {
    const { scope, id } = parseOr(scopeSchema, query);
    const info = scopeInfo(db, { kind: scope, id });
    if (!info) throw new HttpError(404, 'Nie ma propozycji, stolika, jednostki ani konsultacji o takim numerze.');
    return info;
  };

  const followPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    scope: ScopeInfo,
    values: { email: string; frequency: string },
    errors?: FieldErrors,
    status = 200,
  ) => {
    const clause = currentClause();
    recordClauseShown(db, clause);
    return render(
      request,
      reply,
      'subscriptions/new.njk',
      {
        scope,
        values,
        errors,
        clause,
        frequencyLabels: FREQUENCY_LABELS,
      },
      { status, csrf: true },
    );
  };

  app.get('/subscriptions/new', async (request, reply) => {
    const query = parseOr(newQuerySchema, request.query);
    const scope = existingScope(query);
    const email = query.email ?? '';
    // an address typed into the small form on a public page is checked at once
    const checked = email.trim() ? emailSchema.safeParse(email) : undefined;
    const errors = checked && !checked.success ? singleError('email', checked.error.issues[0]!.message) : undefined;
    return followPage(request, reply, scope, { email, frequency: 'immediate' }, errors);
  });

  app.get('/subscriptions/clause', async (request, reply) => {
    const clause = currentClause();
    recordClauseShown(db, clause);
    return render(request, reply, 'subscriptions/clause.njk', { clause });
  });

  app.post(
    '/subscriptions',
    {
      config: {
        rateLimit: {
          max: followLimit,
          timeWindow: '10 minutes',
          errorResponseBuilder: () =>
            new HttpError(
              429,
              'Z tego adresu sieciowego wysłano zbyt wiele zgłoszeń. Odczekaj kilka minut i spróbuj ponownie.',
            ),
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const scope = existingScope(body);
      const values = {
        email: typeof body.email === 'string' ? body.email.slice(0, 1000) : '',
        frequency: typeof body.frequency === 'string' ? body.frequency : 'immediate',
      };
      const parsed = followFormSchema.safeParse(body);
      if (!parsed.success) return followPage(request, reply, scope, values, fieldErrors(parsed.error), 422);
      const clause = currentClause();
      if (parsed.data.clauseVersion !== clause.version) {
        return followPage(
          request,
          reply,
          scope,
          values,
          singleError(
            'form',
            'Treść klauzuli informacyjnej zmieniła się, odkąd otwarto formularz. Przeczytaj jej aktualną treść ' +
              'poniżej ' +
              'i wyślij formularz ponownie.',
          ),
          409,
        );
      }
      try {
        const outcome = requestFollow(db, {
          email: parsed.data.email,
          scope: { kind: scope.kind, id: scope.id },
          frequency: parsed.data.frequency,
          clause,
        });
        request.log.debug({ outcome, scope: `${scope.kind}:${scope.id}` }, 'follow request');
      } catch (err) {
        if (err instanceof ScopeNotFound) throw new HttpError(404, err.message);
        throw err;
      }
      // the same answer for a new, pending or confirmed address
      return reply.redirect('/subscriptions/sent', 303);
    },
  );

  app.get('/subscriptions/sent', async (request, reply) => render(request, reply, 'subscriptions/sent.njk', {}));

  app.get('/subscriptions/confirm', async (request, reply) => {
    const { token } = parseOr(tokenSchema, request.query, 404);
    // a mail scanner may open this link: the GET only shows the button
    const found = confirmationFor(db, token);
    if (found.status !== 'ok') return linkPage(request, reply, found.status);
    return render(request, reply, 'subscriptions/confirm.njk', { token, ...found.value }, { csrf: true });
  });

  app.post('/subscriptions/confirm', async (request, reply) => {
    const { token } = parseOr(tokenSchema, request.body ?? {}, 404);
    const result = confirm(db, token);
    if (result.status !== 'ok') return linkPage(request, reply, result.status);
    return render(request, reply, 'subscriptions/confirmed.njk', result.value);
  });

  app.get('/subscriptions/manage', async (request, reply) => {
    const { token, ok } = parseOr(manageQuerySchema, request.query, 404);
    const found = manageView(db, token);
    if (found.status !== 'ok') return linkPage(request, reply, found.status);
    return render(
      request,
      reply,
      'subscriptions/manage.njk',
      {
        token,
        ok,
        ...found.value,
        frequencyLabels: FREQUENCY_LABELS,
      },
      { csrf: true },
    );
  });

  const backToManage = (reply: FastifyReply, token: string, ok: string) =>
    reply.redirect(`/subscriptions/manage?token=${encodeURIComponent(token)}&ok=${ok}`, 303);

  app.post('/subscriptions/:id/frequency', async (request, reply) => {
    const { id } = parseOr(subscriptionIdSchema, request.params, 404);
    const form = parseOr(frequencyFormSchema, request.body ?? {});
    const result = changeFrequency(db, form.token, id, form.frequency);
    if (result.status !== 'ok') return linkPage(request, reply, result.status);
    return backToManage(reply, result.value.token, 'frequency');
  });

  app.post('/subscriptions/:id/removal', async (request, reply) => {
    const { id } = parseOr(subscriptionIdSchema, request.params, 404);
    const { token } = parseOr(tokenSchema, request.body ?? {}, 404);
    const result = unfollow(db, token, id);
    if (result.status !== 'ok') return linkPage(request, reply, result.status);
    return backToManage(reply, result.value.token, 'removed');
  });

  app.post('/subscriptions/erasure', async (request, reply) => {
    const { token } = parseOr(tokenSchema, request.body ?? {}, 404);
    const result = eraseAll(db, token);
    if (result.status !== 'ok') return linkPage(request, reply, result.status);
    if (!result.value.walEmptied) {
      walToEmpty = true;
      request.log.warn('erasure: another connection kept the write-ahead log from being emptied; the purge retries');
    }
    return reply.redirect('/subscriptions/erased', 303);
  });

  app.get('/subscriptions/erased', async (request, reply) => render(request, reply, 'subscriptions/erased.njk', {}));

  app.get('/subscriptions/unsubscribe', async (request, reply) => {
    const { token } = parseOr(tokenSchema, request.query, 404);
    // a link opened by a person or prefetched by a scanner: only the button's POST ends the subscription
    const found = unsubscribeTarget(db, token);
    if (found.status !== 'ok') return linkPage(request, reply, found.status);
    return render(request, reply, 'subscriptions/unsubscribe.njk', { token, oneClick: ONE_CLICK, ...found.value });
  });

  // RFC 8058: no CSRF token and no session; the token in the URL is the whole authority
  app.post('/subscriptions/unsubscribe', { config: { csrf: false } }, async (request, reply) => {
    const { token } = parseOr(tokenSchema, request.query, 404);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body[ONE_CLICK.name] !== ONE_CLICK.value) {
      throw new HttpError(400, 'Aby wypisać się jednym kliknięciem, użyj przycisku na stronie wypisania.');
    }
    const result = unsubscribeOneClick(db, token);
    if (result.status !== 'ok') return linkPage(request, reply, result.status);
    return render(request, reply, 'subscriptions/unsubscribed.njk', result.value);
  });
};

/** The text fields of a small multipart/form-data body (files are not expected and are ignored). */
export function parseMultipartFields(contentType: string, body: string): Record<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const fields: Record<string, string> = {};
  if (!boundary) return fields;
  for (const part of body.split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (!name || /filename=/i.test(headers)) continue;
    fields[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return fields;
}

export default routes;
