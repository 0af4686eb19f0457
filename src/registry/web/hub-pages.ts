// The hub's web pages: every page route in one table, each handler parse -> one store call -> render.
// Pages live beside the distribution API (/v2/...), the Hub JSON API (/v2/repositories/...,
// /v2/search/...), /v1/ and /token without touching them: `handle` answers only the paths of the
// table and leaves every other request to the registry.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { isRepositoryName } from '../../lib/oci-names.js';
import type { HubRepository, HubStore } from '../hub/hub-store.js';
import { sendScript } from './assets.js';
import { checkFormPost, localPath, readForm } from './form-guard.js';
import { pagePath } from './html.js';
import { redirect, sendPage, type Viewer } from './layout.js';
import { errorPage, signInPage } from './page-account.js';
import { repositoryPage } from './page-repository.js';
import { homePage, repositoryPath, searchPage, userPage } from './pages-browse.js';
import { parseCookies, SESSION_COOKIE, sessionCookie, SessionStore, type Session } from './sessions.js';

/** Checks a user's password: the registry's htpasswd file (or, with token auth, the token server's). */
export interface PasswordCheck {
  verify(user: string, password: string): Promise<boolean>;
}

export interface HubPagesOptions {
  store: HubStore;
  /** Who may sign in; without it the pages are read-only and offer no sign-in. */
  users?: PasswordCheck;
  /** The registry has auth: its pages, like its API, are for signed-in users only (a visitor is sent to sign in). */
  signInRequired: boolean;
  /** Served over TLS: cookies are Secure and the site's origin is https. */
  secure: boolean;
  sessions?: SessionStore;
  /** Where failures inside a page are reported (default: stderr). */
  log?: (message: string) => void;
}

interface PageContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  session: Session | undefined;
  viewer: Viewer;
}

interface PageRoute {
  methods: string[];
  pattern: RegExp;
  handler: (ctx: PageContext) => Promise<void> | void;
  /** Served to visitors also where sign-in is required (the sign-in page itself, the script). */
  open?: boolean;
}

export const PAGE_SIZE = 25;
const HOME_LIST = 8;
const MAX_PAGE = 100_000;
const MAX_QUERY = 200;

const STATUS: Partial<Record<BerthError['code'], number>> = { NOT_FOUND: 404, INVALID_ARGUMENT: 400, FORBIDDEN: 403, UNAUTHORIZED: 401 };

function pageNumber(query: URLSearchParams, name = 'page'): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return 1;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE) throw new InvalidArgumentError(`${name} must be a number from 1 to ${MAX_PAGE}`);
  return Number(raw);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new InvalidArgumentError('the address is not valid percent-encoding');
  }
}

export class HubPages {
  readonly sessions: SessionStore;
  private readonly store: HubStore;
  private readonly users?: PasswordCheck;
  private readonly signInRequired: boolean;
  private readonly secure: boolean;
  private readonly log: (message: string) => void;

  private readonly routes: PageRoute[] = [
    { methods: ['GET', 'HEAD'], pattern: /^\/$/, handler: (c) => this.getHome(c) },
    { methods: ['GET', 'HEAD'], pattern: /^\/search$/, handler: (c) => this.getSearch(c) },
    { methods: ['GET', 'HEAD'], pattern: /^\/_\/(?<name>[^?#]+)$/, handler: (c) => this.getRepository(c) },
    { methods: ['POST'], pattern: /^\/_\/(?<name>[^?#]+)$/, handler: (c) => this.postRepositoryStar(c) },
    { methods: ['GET', 'HEAD'], pattern: /^\/r\/(?<namespace>[^/]+)\/(?<name>[^?#]+)$/, handler: (c) => this.getRepository(c) },
    { methods: ['POST'], pattern: /^\/r\/(?<namespace>[^/]+)\/(?<name>[^?#]+)$/, handler: (c) => this.postRepositoryStar(c) },
    { methods: ['GET', 'HEAD'], pattern: /^\/u\/(?<user>[^/]+)$/, handler: (c) => this.getUser(c) },
    { methods: ['GET', 'HEAD'], pattern: /^\/login$/, handler: (c) => this.getLogin(c), open: true },
    { methods: ['POST'], pattern: /^\/login$/, handler: (c) => this.postLogin(c), open: true },
    { methods: ['POST'], pattern: /^\/logout$/, handler: (c) => this.postLogout(c), open: true },
    { methods: ['GET', 'HEAD'], pattern: /^\/assets\/hub\.js$/, handler: (c) => sendScript(c.res), open: true },
  ];

  constructor(options: HubPagesOptions) {
    this.store = options.store;
    this.users = options.users;
    this.signInRequired = options.signInRequired;
    this.secure = options.secure;
    this.sessions = options.sessions ?? new SessionStore();
    this.log = options.log ?? ((message) => console.error(`berth-registry: ${message}`));
  }

  /** Answers the request if `path` (raw, as sent) is a page; false leaves it to the registry API. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const method = req.method ?? 'GET';
    const matches = this.routes.filter((r) => r.pattern.test(path));
    if (matches.length === 0) return false;
    const session = this.sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
    const viewer: Viewer = {
      user: session?.user, csrf: session?.csrf, canSignIn: this.users !== undefined,
      path: path + (query.size > 0 ? `?${query}` : ''),
    };
    try {
      const route = matches.find((r) => r.methods.includes(method));
      if (!route) {
        const allow = [...new Set(matches.flatMap((r) => r.methods))].join(', ');
        sendPage(res, 405, errorPage(viewer, 405, `${method} is not supported here`), { Allow: allow });
        return true;
      }
      if (this.signInRequired && !route.open && !session?.user) {
        if (method !== 'GET' && method !== 'HEAD') throw new ForbiddenError('sign in first');
        redirect(res, `/login?next=${encodeURIComponent(viewer.path)}`);
        return true;
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(route.pattern.exec(path)!.groups ?? {})) params[k] = decode(v);
      await route.handler({ req, res, params, query, session, viewer });
    } catch (err) {
      const status = err instanceof BerthError ? STATUS[err.code] ?? 500 : 500;
      if (status >= 500) this.log(`${method} ${path}: ${(err as Error)?.stack ?? err}`);
      if (res.headersSent) { res.destroy(); return true; }
      sendPage(res, status, errorPage(viewer, status, status >= 500 ? 'The page could not be made; the registry log says why.' : (err as Error).message));
    }
    return true;
  }

  private getHome({ res, viewer }: PageContext): void {
    sendPage(res, 200, homePage(viewer, {
      mostStarred: this.store.mostStarred(HOME_LIST),
      mostPulled: this.store.mostPulled(HOME_LIST),
      recentlyPushed: this.store.recentlyPushed(HOME_LIST),
    }));
  }

  private getSearch({ res, query, viewer }: PageContext): void {
    const q = (query.get('q') ?? '').trim().slice(0, MAX_QUERY);
    const page = pageNumber(query);
    sendPage(res, 200, searchPage(viewer, q, page, PAGE_SIZE, this.store.search(q, { page, pageSize: PAGE_SIZE })));
  }

  /** The repository a page path names: `/_/{name}` is the library namespace. */
  private repositoryOf(params: Record<string, string>): HubRepository {
    const namespace = params.namespace ?? 'library';
    const full = `${namespace}/${params.name}`;
    if (!isRepositoryName(full)) throw new NotFoundError(`no repository ${full.slice(0, 300)}`);
    const repo = this.store.findRepository(namespace, params.name!);
    if (!repo) throw new NotFoundError(`no repository ${namespace === 'library' ? params.name : full}`);
    return repo;
  }

  private getRepository({ req, res, params, query, viewer }: PageContext): void {
    const repo = this.repositoryOf(params);
    const canonical = repositoryPath(repo);
    const requested = params.namespace === undefined ? pagePath('_', params.name!) : pagePath('r', params.namespace, params.name!);
    if (requested !== canonical) { redirect(res, canonical + (query.size > 0 ? `?${query}` : ''), {}, 301); return; }
    const page = pageNumber(query);
    const tags = this.store.listTags(repo.repository, { page, pageSize: PAGE_SIZE });
    const tag = this.store.getTag(repo.repository, 'latest') ? '' : (page === 1 ? tags : this.store.listTags(repo.repository, { page: 1, pageSize: 1 })).results[0]?.name;
    const pullCommand = `docker pull ${this.hostOf(req)}/${repo.repository}${tag ? `:${tag}` : ''}`;
    const starred = viewer.user !== undefined && this.store.hasStarred(repo.repository, viewer.user);
    sendPage(res, 200, repositoryPage(viewer, { repo, tags, page, pageSize: PAGE_SIZE, starred, pullCommand }));
  }

  private async postRepositoryStar({ req, res, params, session }: PageContext): Promise<void> {
    const form = await readForm(req);
    checkFormPost(req, form, session, this.secure);
    const repo = this.repositoryOf(params);
    const path = repositoryPath(repo);
    if (!session?.user) throw new ForbiddenError('sign in to star');
    const action = form.get('action');
    if (action === 'star') this.store.star(repo.repository, session.user);
    else if (action === 'unstar') this.store.unstar(repo.repository, session.user);
    else throw new InvalidArgumentError('action must be star or unstar');
    redirect(res, path);
  }

  private getUser({ res, params, query, viewer }: PageContext): void {
    const user = params.user!;
    if (!isRepositoryName(user) || user.includes('/')) throw new NotFoundError(`no user ${user.slice(0, 100)}`);
    const page = pageNumber(query);
    sendPage(res, 200, userPage(viewer, user, page, PAGE_SIZE, {
      repositories: this.store.listNamespace(user, { page, pageSize: PAGE_SIZE }),
      starred: this.store.starredBy(user, { page: 1, pageSize: PAGE_SIZE }),
    }));
  }

  private getLogin({ res, query, session, viewer }: PageContext): void {
    const next = localPath(query.get('next'));
    if (session?.user) { redirect(res, next); return; }
    const headers: Record<string, string> = {};
    let visitor = session;
    if (!visitor && this.users) {
      // The sign-in form is CSRF-protected too: a visitor gets a session (without a user) to hold the token.
      visitor = this.sessions.create();
      headers['Set-Cookie'] = sessionCookie(visitor, this.secure);
    }
    sendPage(res, 200, signInPage({ ...viewer, csrf: visitor?.csrf }, next), headers);
  }

  private async postLogin({ req, res, session, viewer }: PageContext): Promise<void> {
    const form = await readForm(req);
    checkFormPost(req, form, session, this.secure);
    if (!this.users) throw new ForbiddenError('this registry has no accounts to sign in with');
    const next = localPath(form.get('next'));
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    if (!username || !password || !(await this.users.verify(username, password))) {
      sendPage(res, 401, signInPage(viewer, next, 'Incorrect user name or password.', username));
      return;
    }
    const signedIn = this.sessions.signIn(session, username);
    redirect(res, next, { 'Set-Cookie': sessionCookie(signedIn, this.secure) });
  }

  private async postLogout({ req, res, session }: PageContext): Promise<void> {
    const form = await readForm(req);
    checkFormPost(req, form, session, this.secure);
    this.sessions.destroy(session!.id);
    redirect(res, '/', { 'Set-Cookie': sessionCookie(undefined, this.secure) });
  }

  /** The registry's address as the browser reached it, for the pull command. */
  private hostOf(req: IncomingMessage): string {
    const host = req.headers.host ?? '';
    return /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : 'localhost';
  }
}
