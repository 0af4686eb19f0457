// The pages' one script, served from this site (the CSP allows script-src 'self' only). It adds a Copy
// button beside each pull command; without JavaScript the command is still there to select and copy.
import type { ServerResponse } from 'node:http';

export const HUB_SCRIPT = `"use strict";
document.querySelectorAll('[data-copy]').forEach(function (box) {
  var field = box.querySelector('input');
  if (!field) return;
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'plain';
  button.textContent = 'Copy';
  button.addEventListener('click', function () {
    var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 1500); };
    field.select();
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
    else { document.execCommand('copy'); done(); }
  });
  box.appendChild(button);
});
`;

export function sendScript(res: ServerResponse): void {
  const body = Buffer.from(HUB_SCRIPT);
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'public, max-age=3600',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
