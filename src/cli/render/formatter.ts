/**
 * docker's --format handling for lists: "table" (default columns), "table TEMPLATE" (tabwriter with a
 * header row), "json", or a plain TEMPLATE printed once per row. `\t` and `\n` typed literally in the
 * format become tab and newline, as in docker.
 */
import { CliError } from '../base/errors.js';
import { DOCKER_TABLE, tabwrite } from './tabwriter.js';
import { HEADER_FUNCS, TemplateError, parseTemplate } from './template/index.js';

export function isTableFormat(format: string): boolean {
  return format === 'table' || format.startsWith('table ');
}

function preFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice('table'.length);
  return f.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Runs a template and reports failures the way docker does. */
export function runTemplate(template: ReturnType<typeof parseTemplate>, data: unknown): string {
  try {
    return template.execute(data);
  } catch (err) {
    if (err instanceof TemplateError) throw new CliError(`template parsing error: ${err.message}`);
    throw err;
  }
}

export function compileTemplate(format: string): ReturnType<typeof parseTemplate> {
  try {
    return parseTemplate(format);
  } catch (err) {
    if (err instanceof TemplateError) throw new CliError(`template parsing error: ${err.message}`);
    throw err;
  }
}

/**
 * Renders rows with a user format. `defaultTable` is the format "table" alone stands for; `header`
 * maps each placeholder to its column title.
 */
export function renderList(format: string, defaultTable: string, rows: unknown[], header: Record<string, unknown>): string {
  if (format === 'json') format = '{{json .}}';
  if (format === 'table') format = defaultTable;
  const body = preFormat(format);
  const tmpl = compileTemplate(body);
  let out = '';
  for (const row of rows) out += runTemplate(tmpl, row) + '\n';
  if (!isTableFormat(format)) return out;
  const head = runTemplate(tmpl.withFuncs(HEADER_FUNCS), header) + '\n';
  return tabwrite(head + out, DOCKER_TABLE);
}
