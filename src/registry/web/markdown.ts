// Repository descriptions: markdown (markdown-it, CommonMark with tables and strikethrough; raw HTML
// allowed as on Docker Hub, for badges and <details>) and then sanitised with sanitize-html against a
// closed list of tags and attributes. What the sanitiser keeps cannot run script: no <script>,
// <style>, <iframe> or <form>, no on* or style attributes, links and images only over http(s) and
// mailto. The Content-Security-Policy of every page is the second wall.
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { SafeHtml } from './html.js';

/** Descriptions longer than this are cut before rendering (Docker Hub's full_description limit is 25,000). */
export const MAX_MARKDOWN = 100_000;

const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false });

// markdown-it aligns table cells with style="text-align:..."; the page's CSP allows no style
// attribute, so the alignment moves to the align attribute.
function cell(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const align = /text-align:\s*(left|right|center)/.exec(attribs.style ?? '')?.[1];
  return { tagName, attribs: align ? { align } : {} };
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'data'), 'img', 'del', 'details', 'summary'],
  allowedAttributes: {
    a: ['href', 'title', 'name', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    code: ['class'],
    th: ['align'],
    td: ['align'],
    ol: ['start'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Links in a description lead away from the registry: no referrer, no window.opener, no ranking.
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow noopener noreferrer' } }),
    th: cell,
    td: cell,
  },
};

/** Markdown to sanitised HTML, ready to put into a page. */
export function renderMarkdown(source: string): SafeHtml {
  return new SafeHtml(sanitizeHtml(markdown.render(source.slice(0, MAX_MARKDOWN)), SANITIZE));
}

