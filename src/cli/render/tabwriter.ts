/**
 * Go's text/tabwriter (the algorithm, not an approximation), as docker configures it for tables:
 * minwidth 10, tabwidth 1, padding 3, pad with spaces, no flags. Cells are tab-terminated; the text
 * after the last tab of a line is not part of a column. Widths count characters (runes).
 */
interface Cell {
  text: string;
  width: number;
}

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, padding: 3 };

function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith('\n');
  const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const lines: Cell[][] = rawLines.map((l) => l.split('\t').map((t) => ({ text: t, width: runeWidth(t) })));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c.text;
        if (j < widths.length) s += ' '.repeat(Math.max(widths[j]! - c.width, 0));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let width = opts.minwidth;
      for (; i < line1; i++) {
        const line = lines[i]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + opts.padding);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
      // like Go's loop, the increment steps past the line that ended the block: it has no cell here
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
