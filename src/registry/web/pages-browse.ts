// The pages that list repositories: home (search box, most starred, most pulled, recently pushed),
// search results and a user's page. Pure functions from the hub's records to HTML.
import type { HubPage, HubRepository } from '../hub/hub-store.js';
import { formatCount, timeAgo } from './format.js';
import { html, pagePath, type SafeHtml } from './html.js';
import { layout, type Viewer } from './layout.js';

/** The page of a repository: `/_/busybox` for the library namespace (as Docker Hub's official images), `/r/alice/tool` otherwise. */
export function repositoryPath(repo: Pick<HubRepository, 'namespace' | 'name'>): string {
  return repo.namespace === 'library' ? pagePath('_', repo.name) : pagePath('r', repo.namespace, repo.name);
}

/** How a repository is called on the pages: `busybox` in the library namespace, `alice/tool` elsewhere. */
export function displayName(repo: Pick<HubRepository, 'namespace' | 'name'>): string {
  return repo.namespace === 'library' ? repo.name : `${repo.namespace}/${repo.name}`;
}

export function officialBadge(repo: HubRepository): SafeHtml {
  return repo.is_official ? html`<span class="badge" title="Official image">Official</span>` : html``;
}

/** One line of facts: stars (unless the page shows them itself), pulls, last push. */
export function repositoryFacts(repo: HubRepository, now = Date.now(), stars = true): SafeHtml {
  return html`<span class="meta">${stars ? html`<span title="stars">★ ${formatCount(repo.star_count)}</span> · ` : ''}${formatCount(repo.pull_count)} pulls · updated ${timeAgo(repo.last_updated ?? undefined, now)}</span>`;
}

export function repositoryList(repos: HubRepository[], empty: string, now = Date.now()): SafeHtml {
  if (repos.length === 0) return html`<p class="note">${empty}</p>`;
  return html`<ul class="list">${repos.map((r) => html`<li><a class="name" href="${repositoryPath(r)}">${displayName(r)}</a>${officialBadge(r)}
${r.description ? html`<p class="desc">${r.description}</p>` : ''}${repositoryFacts(r, now)}</li>`)}</ul>`;
}

/** "Previous" and "Next" links of a paged list; `href(n)` is the address of page n. */
export function pager(page: number, pageSize: number, count: number, href: (n: number) => string): SafeHtml {
  const last = Math.max(1, Math.ceil(count / pageSize));
  if (last === 1) return html``;
  return html`<nav class="pages" aria-label="pages">${page > 1 ? html`<a rel="prev" href="${href(page - 1)}">← Previous</a>` : ''}
<span class="meta">page ${page} of ${last}</span>${page < last ? html`<a rel="next" href="${href(page + 1)}">Next →</a>` : ''}</nav>`;
}

export interface HomeLists {
  mostStarred: HubRepository[];
  mostPulled: HubRepository[];
  recentlyPushed: HubRepository[];
}

export function homePage(viewer: Viewer, lists: HomeLists, now = Date.now()): SafeHtml {
  return layout(viewer, 'Home', html`<h1>Repositories of this registry</h1>
<form class="search" method="get" action="/search" role="search"><input type="search" name="q" placeholder="Search by name or description" aria-label="Search repositories" autofocus><button type="submit">Search</button></form>
<div class="cols">
<section><h2>Most starred</h2>${repositoryList(lists.mostStarred, 'No stars yet.', now)}</section>
<section><h2>Most pulled</h2>${repositoryList(lists.mostPulled, 'No pulls yet.', now)}</section>
<section><h2>Recently pushed</h2>${repositoryList(lists.recentlyPushed, 'Nothing pushed yet.', now)}</section>
</div>`, null);
}

export function searchPage(viewer: Viewer, query: string, page: number, pageSize: number, found: HubPage<HubRepository>, now = Date.now()): SafeHtml {
  const heading = query ? html`${found.count} ${found.count === 1 ? 'repository matches' : 'repositories match'} “${query}”` : html`All repositories (${found.count})`;
  return layout(viewer, query ? `Search: ${query}` : 'All repositories', html`<h1>${heading}</h1>
${repositoryList(found.results, 'Nothing found. Try a shorter word, or part of a name.', now)}
${pager(page, pageSize, found.count, (n) => `/search?${new URLSearchParams({ q: query, page: String(n) })}`)}`, query);
}

export interface UserLists {
  repositories: HubPage<HubRepository>;
  starred: HubPage<HubRepository>;
}

export function userPage(viewer: Viewer, user: string, page: number, pageSize: number, lists: UserLists, now = Date.now()): SafeHtml {
  const self = pagePath('u', user);
  return layout(viewer, user, html`<h1>${user}</h1>
<section><h2>Repositories (${lists.repositories.count})</h2>${repositoryList(lists.repositories.results, `${user} has no repositories.`, now)}
${pager(page, pageSize, lists.repositories.count, (n) => `${self}?page=${n}`)}</section>
<section><h2>Starred (${lists.starred.count})</h2>${repositoryList(lists.starred.results, `${user} has starred nothing yet.`, now)}</section>`);
}
