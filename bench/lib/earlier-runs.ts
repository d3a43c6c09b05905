/**
 * A results file keeps its history: a new run's report goes on top, and the run it replaces moves under
 * "## Earlier runs" — its date, commit, command, load, matmul peak, any paragraph written about it, and its summary
 * table — ahead of the runs already there. Goals such as "two runs an hour apart" are judged on several runs, and the
 * file is where they are read.
 *
 * Only a file this bench wrote is carried over (it starts with REPORT_TITLE); anything else is left for the caller to
 * refuse, so a user's file is never overwritten.
 */

/** How every report written by report.ts's `markdown` begins. */
export const REPORT_TITLE = '# dl vs Keras 3: benchmark results';

const EARLIER = '## Earlier runs';

/** Whether `text` is a report this bench wrote (so it may be replaced, its run kept under "Earlier runs"). */
export function isBenchReport(text: string): boolean {
  return text.startsWith(REPORT_TITLE);
}

/** `report` (a fresh run's, with no history) followed by `previous`'s run and `previous`'s own earlier runs. */
export function withEarlierRuns(report: string, previous: string): string {
  if (!isBenchReport(previous))
    throw new Error(`the previous results file is not a bench report (it does not start with "${REPORT_TITLE}")`);
  const [own, history = ''] = splitAt(previous, EARLIER);
  const entry = summarize(own);
  const earlier = [entry, history.trim()].filter(Boolean).join('\n\n');
  return `${report.trimEnd()}\n\n${EARLIER}\n\n${earlier}\n`;
}

/** `[before, after]` the first line that is exactly `heading` (after is undefined without one). */
function splitAt(text: string, heading: string): [string, string | undefined] {
  const lines = text.split('\n');
  const at = lines.indexOf(heading);
  return at < 0 ? [text, undefined] : [lines.slice(0, at).join('\n'), lines.slice(at + 1).join('\n')];
}

/** One run's entry: a line of what ran where, the paragraphs written about the run, and its summary table. */
function summarize(own: string): string {
  const lines = own.split('\n');
  const date = /^Measured (\S+?),? /.exec(lines.find((l) => l.startsWith('Measured ')) ?? '')?.[1] ?? 'undated';
  const fence = lines.indexOf('```sh');
  const command = fence >= 0 ? lines[fence + 1] : undefined;
  const commit = /sources: commit (\S+?)(?:;|$| with)/m.exec(own)?.[1];
  const load = /Load average \(1 min\): (\S+) at the start, (\S+) at the end/.exec(own);
  const peak = /matmul peak ([\d.,]+ GFLOP\/s)/.exec(own)?.[1];
  const facts = [
    commit ? `commit ${commit}` : null,
    command ? `\`${command}\`` : null,
    load ? `load ${load[1]} → ${load[2]}` : null,
    peak ? `matmul peak ${peak}` : null,
  ].filter(Boolean);
  const head = `${date}${facts.length ? `, ${facts.join(', ')}` : ''}:`;

  // Paragraphs between the command and the generated method paragraph were written about this run: keep them.
  const close = fence >= 0 ? lines.indexOf('```', fence + 1) : -1;
  const method = lines.findIndex((l) => l.startsWith('Each workload ran '));
  const notes =
    close >= 0 && method > close
      ? lines
          .slice(close + 1, method)
          .join('\n')
          .trim()
      : '';
  const table = firstTable(lines);
  return [head, notes, table].filter(Boolean).join('\n\n');
}

/** The first Markdown table (consecutive lines starting with `|`). */
function firstTable(lines: string[]): string {
  const start = lines.findIndex((l) => l.startsWith('|'));
  if (start < 0) return '';
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}
