// A repository's page: the short and the rendered long description, the pull command with its copy
// button, stars (with the star button for a signed-in user), and the tags, a page at a time.
import type { HubPage, HubPlatform, HubRepository, HubTag } from '../hub/hub-store.js';
import { formatSize, shortDigest, timeAgo } from './format.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type Viewer } from './layout.js';
import { renderMarkdown } from './markdown.js';
import { displayName, officialBadge, pager, repositoryFacts, repositoryPath } from './pages-browse.js';

export interface RepositoryView {
  repo: HubRepository;
  tags: HubPage<HubTag>;
  page: number;
  pageSize: number;
  /** Whether the viewer has starred it (false for a visitor). */
  starred: boolean;
  /** `docker pull 127.0.0.1:5000/alice/tool` */
  pullCommand: string;
}

export function platformText(platforms: HubPlatform[]): string {
  return platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`).join(', ');
}

function starControl(viewer: Viewer, view: RepositoryView): SafeHtml {
  const path = repositoryPath(view.repo);
  const count = html`<span class="stars-count" data-stars="${view.repo.star_count}">★ ${view.repo.star_count} ${view.repo.star_count === 1 ? 'star' : 'stars'}</span>`;
  if (viewer.user) {
    const action = view.starred ? 'unstar' : 'star';
    return html`<div class="stars">${count}<form method="post" action="${path}">${csrfField(viewer)}<input type="hidden" name="action" value="${action}">
<button type="submit" class="plain">${view.starred ? '★ Unstar' : '☆ Star'}</button></form></div>`;
  }
  return html`<div class="stars">${count}</div>`;
}

function tagTable(view: RepositoryView): SafeHtml {
  if (view.tags.count === 0) return html`<p class="note">No tags.</p>`;
  const now = Date.now();
  return html`<div class="table"><table><thead><tr><th>Tag</th><th>Digest</th><th>Size</th><th>Platform</th><th>Pushed</th></tr></thead><tbody>
${view.tags.results.map((t) => html`<tr><td><code>${t.name}</code></td><td class="mono" title="${t.digest}">${shortDigest(t.digest)}</td><td>${formatSize(t.size)}</td><td>${platformText(t.platforms)}</td><td title="${t.last_pushed}">${timeAgo(t.last_pushed, now)}</td></tr>`)}
</tbody></table></div>
${pager(view.page, view.pageSize, view.tags.count, (n) => `${repositoryPath(view.repo)}?page=${n}#tags`)}`;
}

export function repositoryPage(viewer: Viewer, view: RepositoryView): SafeHtml {
  const { repo } = view;
  const description = repo.full_description.trim()
    ? html`<div class="box markdown">${renderMarkdown(repo.full_description)}</div>`
    : html`<p class="note">No description yet.</p>`;
  return layout(viewer, displayName(repo), html`<h1>${displayName(repo)}${officialBadge(repo)}</h1>
${repo.description ? html`<p class="desc">${repo.description}</p>` : ''}
${repositoryFacts(repo, Date.now(), false)}
${starControl(viewer, view)}
<div class="box"><label class="meta" for="pull">Pull this image</label>
<div class="pull" data-copy><input id="pull" type="text" readonly value="${view.pullCommand}"></div></div>
<h2>Description</h2>${description}
<h2 id="tags">Tags (${view.tags.count})</h2>${tagTable(view)}`);
}
