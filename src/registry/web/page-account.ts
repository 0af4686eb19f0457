// The sign-in page and the page of an error.
import { html } from './html.js';
import { csrfField, layout, type Viewer } from './layout.js';
import type { SafeHtml } from './html.js';

export function signInPage(viewer: Viewer, next: string, error?: string, username = ''): SafeHtml {
  if (!viewer.canSignIn) {
    return layout(viewer, 'Sign in', html`<h1>Sign in</h1><p class="note">This registry has no accounts to sign in with (no htpasswd file is configured).</p>`);
  }
  return layout(viewer, 'Sign in', html`<h1>Sign in</h1>
<p class="note">With the user name and password you use for <code>docker login</code>.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="signin" method="post" action="/login">${csrfField(viewer)}<input type="hidden" name="next" value="${next}">
<label>User name <input type="text" name="username" value="${username}" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`);
}

export function errorPage(viewer: Viewer, status: number, message: string): SafeHtml {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : status >= 500 ? 'Something went wrong' : 'Bad request';
  return layout(viewer, title, html`<h1>${title}</h1><p class="error">${message}</p><p><a href="/">Back to the home page</a></p>`);
}
