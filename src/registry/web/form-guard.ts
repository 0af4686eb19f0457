// Every form the pages post is checked here before it does anything: its body read with a cap, the
// Origin (or Sec-Fetch-Site) header matching this site, and the session's CSRF token in the hidden
// `csrf` field. SameSite=Strict cookies already keep other sites' forms from carrying the session;
// these checks are the second and third wall.
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, InvalidArgumentError } from '../../lib/errors.js';
import { readCappedRequest } from '../../lib/read-capped.js';
import { sameSecret, type Session } from './sessions.js';

export const MAX_FORM_BYTES = 16 * 1024;

/** The fields of a posted form (application/x-www-form-urlencoded, at most MAX_FORM_BYTES). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidArgumentError('a form must be sent as application/x-www-form-urlencoded');
  }
  const body = await readCappedRequest(req, MAX_FORM_BYTES, () => new InvalidArgumentError('the form is too large'));
  return new URLSearchParams(body.toString('utf8'));
}

/** This site's origin as a browser names it: scheme, host and port from the Host header. */
export function siteOrigin(req: IncomingMessage, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
}

/**
 * Refuses (ForbiddenError, 403) a post that comes from another site or does not carry this session's
 * CSRF token. Browsers send Origin with every form post; a client that sends neither Origin nor
 * Sec-Fetch-Site still needs the token, which only a page of this site holds.
 */
export function checkFormPost(req: IncomingMessage, form: URLSearchParams, session: Session | undefined, secure: boolean): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== siteOrigin(req, secure)) {
    throw new ForbiddenError(`a form of another site (${origin.slice(0, 100)}) is not accepted`);
  }
  const fetchSite = req.headers['sec-fetch-site'];
  if (origin === undefined && fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    throw new ForbiddenError('a form of another site is not accepted');
  }
  const sent = form.get('csrf');
  if (!session || !sent || !sameSecret(sent, session.csrf)) {
    throw new ForbiddenError('the form has expired or did not come from this site: reload the page and try again');
  }
}

/** Where to go after signing in or out: only a path of this site, never another host. */
export function localPath(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\0-\x1f]/.test(next)) return fallback;
  return next;
}
