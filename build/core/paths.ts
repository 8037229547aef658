/** Where McDebian keeps its stage cache: $XDG_CACHE_HOME/mcdebian, else ~/.cache/mcdebian. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), '.cache');
  return resolve(base, 'mcdebian');
}
