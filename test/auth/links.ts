import type { Agent } from '../helpers.js';

/** The token of a link's path from a mail (`/password/new?token=…`). */
export const tokenOf = (path: string) => new URL(path, 'http://x').searchParams.get('token')!;

/** Sends the form of a link's page, a new password typed twice (the agent has opened a page, for its CSRF token). */
export const sendNewPassword = (agent: Agent, token: string, password: string, confirm = password) =>
  agent.post('/password/new', { token, newPassword: password, confirmPassword: confirm });
