/**
 * YAML syntax errors as the user should read them: what is wrong (the `yaml` package's own
 * message), where (line and column), and the text there. The package's "pretty" message ends on
 * a colon before a context block that does not fit one line of a list, so it is rebuilt here from
 * the error's offset.
 */
import type { LineCounter, YAMLError } from 'yaml';
import type { ConfigIssue } from './issues.js';

/** How much of the offending text an issue quotes. */
const EXCERPT_LENGTH = 60;

/** One issue per position, each naming line, column and the text found there. */
export function describeYamlErrors(text: string, errors: readonly YAMLError[], counter: LineCounter): ConfigIssue[] {
  const lines = text.split('\n');
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const { line, col } = counter.linePos(error.pos[0]);
    if (issues.some((issue) => issue.line === line && issue.column === col)) continue; // one cause, reported several ways
    issues.push({ path: '', line, column: col, message: `YAML syntax: ${error.message} ${excerptAt(lines, line, col)}` });
  }
  return issues;
}

/** `at "text"` from the column on; at the end of a line or the file, `after "the last text before it"`. */
function excerptAt(lines: readonly string[], line: number, column: number): string {
  const rest = (lines[line - 1] ?? '').slice(column - 1).trimEnd();
  if (rest !== '') return `at ${quote(rest)}`;
  const before = lines.slice(0, line - 1).findLast((candidate) => candidate.trim() !== '') ?? '';
  return `after ${quote(before.trim())}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text);
}
