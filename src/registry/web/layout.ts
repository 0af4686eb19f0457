// The frame of every page (header with search and sign-in, the style sheet inline) and how a page is
// sent: with a strict Content-Security-Policy that lets only this site's one script run and only this
// style sheet (by its hash) apply, so even markup that slipped through sanitising could do nothing.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { html, pagePath, trustedHtml, type SafeHtml } from './html.js';

const CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}
header{background:#123;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff}header .brand{font-weight:700;font-size:1.15rem}header form{margin:0}
header .who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
main{max-width:62rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0;word-break:break-word}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.search{display:flex;gap:.5rem;flex:1 1 16rem;max-width:32rem}
input[type=search],input[type=text],input[type=password]{flex:1;min-width:0;padding:.45rem .6rem;border:1px solid #99a;border-radius:4px;font:inherit}
button{padding:.45rem .9rem;border:1px solid #0b5cad;background:#0b5cad;color:#fff;border-radius:4px;font:inherit;cursor:pointer}
button.plain{background:none;color:inherit;border-color:currentColor;padding:.2rem .6rem}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:1rem}
.list{list-style:none;margin:0;padding:0}.list li{background:#fff;border:1px solid #dde;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
.list .name{font-weight:600;word-break:break-all}.meta{color:#556;font-size:.875rem}
.desc{color:#333;font-size:.925rem;margin:.2rem 0 0;overflow-wrap:anywhere}
.badge{display:inline-block;font-size:.75rem;background:#e3f1e4;color:#185c1f;border:1px solid #9c9;border-radius:3px;padding:0 .35rem;margin-left:.4rem;vertical-align:middle}
.box{background:#fff;border:1px solid #dde;border-radius:6px;padding:.8rem 1rem;margin:1rem 0;overflow-wrap:anywhere}
.pull{display:flex;gap:.5rem;align-items:center}.pull input{font-family:ui-monospace,monospace;font-size:.875rem}
.stars{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}.stars form{margin:0}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e5ea;white-space:nowrap}
td code,.mono{font-family:ui-monospace,monospace;font-size:.85rem}
.markdown img{max-width:100%}.markdown pre{background:#f0f2f5;padding:.6rem;overflow-x:auto}
.pages{display:flex;gap:1rem;margin:1rem 0}.error{color:#a11}.note{color:#556}
form.signin{max-width:22rem;display:grid;gap:.6rem}form.signin label{display:grid;gap:.2rem}`;

const CSS_HASH = createHash('sha256').update(CSS).digest('base64');

/** The policy every page is sent with. Descriptions may show images from other https sites, as on Docker Hub. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", `style-src 'sha256-${CSS_HASH}'`, "img-src 'self' https: data:",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

/** What the frame of a page needs to know about the request. */
export interface Viewer {
  /** The signed-in user, if any. */
  user?: string;
  /** The session's CSRF token, for the forms of the page. */
  csrf?: string;
  /** Whether the registry has users to sign in with. */
  canSignIn: boolean;
  /** The path of this page, where sign-in returns to. */
  path: string;
}

export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf ?? ''}">`;
}

function who(viewer: Viewer): SafeHtml {
  if (viewer.user) {
    return html`<span class="who"><a href="${pagePath('u', viewer.user)}">${viewer.user}</a>
<form method="post" action="/logout">${csrfField(viewer)}<button class="plain" type="submit">Sign out</button></form></span>`;
  }
  if (!viewer.canSignIn) return html``;
  return html`<span class="who"><a href="/login?next=${encodeURIComponent(viewer.path)}">Sign in</a></span>`;
}

/** A whole page: the frame around `body`. `query` fills the header's search box; null leaves the box out (the home page has its own). */
export function layout(viewer: Viewer, title: string, body: SafeHtml, query: string | null = ''): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Berth Hub</title><style>${trustedHtml(CSS)}</style><script src="/assets/hub.js" defer></script></head>
<body><header><a class="brand" href="/">Berth Hub</a>
${query === null ? '' : html`<form class="search" method="get" action="/search" role="search"><input type="search" name="q" value="${query}" placeholder="Search repositories" aria-label="Search repositories"><button type="submit">Search</button></form>`}
${who(viewer)}</header>
<main>${body}</main></body></html>`;
}

/** Sends a page with the security headers. Pages depend on the session: no shared cache keeps them. */
export function sendPage(res: ServerResponse, status: number, page: SafeHtml, headers: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(page.value);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': body.length,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'private, no-cache',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** A redirect to a path of this site: 303 after a form post, 301 to a page's canonical address. */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}, status = 303): void {
  res.writeHead(status, { ...headers, Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' });
  res.end();
}
