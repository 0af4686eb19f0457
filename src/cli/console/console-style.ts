/** The console's one stylesheet (served as /assets/console.css). */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: #1d1f21; --bg: #fafafa; --muted: #6b7280; --line: #d4d4d8; --accent: #0b63c5; --bad: #b91c1c; --good: #15803d; }
@media (prefers-color-scheme: dark) { :root { --fg: #e5e7eb; --bg: #111315; --muted: #9ca3af; --line: #2f3237; --accent: #60a5fa; --bad: #f87171; --good: #4ade80; } }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); display: flex; flex-direction: column; }
header { display: flex; gap: 1.25em; align-items: baseline; padding: .6em 1em; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; }
nav { display: flex; gap: 1em; }
header .daemon { margin-left: auto; color: var(--muted); font-size: 12px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
nav a[aria-current] { font-weight: 600; text-decoration: underline; }
main { flex: 1; padding: 1em; min-height: 0; display: flex; flex-direction: column; }
h1 { font-size: 18px; margin: 0 0 .6em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; }
td.mono, .mono { font-family: ui-monospace, monospace; font-size: 13px; }
.state-running { color: var(--good); } .state-exited, .state-dead { color: var(--bad); } .state-paused { color: var(--muted); }
.health-unhealthy { color: var(--bad); } .health-healthy { color: var(--good); }
.actions { display: flex; gap: .5em; margin: .6em 0; flex-wrap: wrap; }
button { font: inherit; padding: .3em .8em; border: 1px solid var(--line); border-radius: 4px; background: transparent; color: inherit; cursor: pointer; }
button:hover { border-color: var(--accent); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: 0 0 1em; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; font-family: ui-monospace, monospace; }
.status { color: var(--muted); font-size: 12px; min-height: 1.4em; }
.error { color: var(--bad); }
.term-wrap { flex: 1; min-height: 0; position: relative; }
#terminal { position: absolute; inset: 0; }
.toolbar { display: flex; gap: .6em; align-items: center; margin-bottom: .5em; }
.toolbar input { font: inherit; padding: .2em .4em; }
#log { flex: 1; min-height: 0; overflow-y: auto; position: relative; font-family: ui-monospace, monospace; font-size: 13px; line-height: 18px; border: 1px solid var(--line); }
#log .rows { position: absolute; left: 0; right: 0; }
#log .row { height: 18px; white-space: pre; padding: 0 .5em; }
#log .row.match { background: rgba(250, 204, 21, .35); }
#log .row.current { background: rgba(250, 204, 21, .8); color: #000; }
.a-b { font-weight: 700; } .a-d { opacity: .7; } .a-i { font-style: italic; } .a-u { text-decoration: underline; }
`;
