/**
 * What the loader did with the files overlays generate, as the lines a build starts with: a key
 * made (keep it), a key moved from where an earlier version kept it (said loudly, since the user
 * may look for it there), and the generators' own warnings (the far side trusts another key).
 */
import type { ResolvedOverlay } from '../../overlays/overlay.js';

/** One line for the log. */
export interface Notice {
  level: 'info' | 'warn';
  message: string;
}

export function secretFileNotices(overlays: readonly ResolvedOverlay[]): Notice[] {
  const notices: Notice[] = [];
  for (const { overlay, files } of overlays) {
    for (const file of files) {
      const field = `overlays.${overlay.name}.${file.field.join('.')}`;
      if (file.moved) {
        notices.push({ level: 'warn', message: `moved ${file.formerFile} to ${file.file} (${field}): generated files are kept under the config file's name now, not the hostname; it is the same key, keep it there` });
      } else if (file.formerFile !== undefined) {
        notices.push({ level: 'info', message: `${field}: found at ${file.formerFile}, where earlier versions kept it; build moves it to ${file.file}` });
      }
      if (file.generated) notices.push({ level: 'info', message: `generated ${file.file} for ${field}: keep it, ${file.keepBecause ?? 'the far side trusts it'}` });
      for (const warning of file.warnings ?? []) notices.push({ level: 'warn', message: warning });
    }
  }
  return notices;
}
