import type { FastifyPluginAsync } from 'fastify';

/**
 * POST /session/keepalive: static/session.js calls it while a staff form is being filled in (or when
 * the user chooses "Przedłuż sesję"), so a long text is not cut off by the idle limit. The session
 * plugin has already moved lastSeen on for a valid session; the absolute limit still ends it. CSRF is
 * checked like every POST (the script sends the page's token). Answers JSON, never cached.
 */
const routes: FastifyPluginAsync = async (app) => {
  const { idleMs, absoluteMs } = app.sessionLimits;

  app.post('/session/keepalive', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    if (!request.user) return reply.code(401).send({ signedIn: false });
    const loginAt = request.session.loginAt ?? Date.now();
    return {
      signedIn: true,
      idleSeconds: Math.floor(idleMs / 1000),
      remainingSeconds: Math.max(0, Math.floor((loginAt + absoluteMs - Date.now()) / 1000)),
    };
  });
};

export default routes;
