/** "Did you mean" for unknown names: candidates the word is a prefix of, else the nearest by edit distance. */
import { distance } from 'fastest-levenshtein';

/** Candidates the user plausibly meant: all that start with the word, else the single closest typo. */
export function closestMatches(word: string, candidates: Iterable<string>): string[] {
  const all = [...candidates];
  const lower = word.toLowerCase();
  const prefixed = all.filter((candidate) => candidate.toLowerCase().startsWith(lower) && candidate.toLowerCase() !== lower);
  if (lower.length >= 3 && prefixed.length > 0) return prefixed;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of all) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A third of the word's length (at least 2 edits) separates typos from unrelated words.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? [best] : [];
}

/** ' (did you mean "x"?)', ' (did you mean "x" or "y"?)' or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const matches = closestMatches(word, candidates).map((match) => `"${match}"`);
  if (matches.length === 0) return '';
  const list = matches.length === 1 ? matches[0] : `${matches.slice(0, -1).join(', ')} or ${matches.at(-1)}`;
  return ` (did you mean ${list}?)`;
}
