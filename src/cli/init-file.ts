import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes the configuration file `passerelle init` built: JSON keyed by the environment names (the
 * format `loadConfig` reads), mode 0600 from its first byte since it holds secrets.
 *
 * - `replace: false` creates the file exclusively (`wx`): a file that appeared since the question
 *   "overwrite?" was asked is never clobbered (EEXIST is thrown).
 * - `replace: true` writes a 0600 temporary file beside it and renames it over the old one, so the
 *   secrets never sit in a file with the old file's (maybe wider) mode, and a crash leaves either the
 *   old file or the new one.
 */
export function writeConfigFile(
  path: string,
  values: Record<string, unknown>,
  opts: { replace: boolean },
): void {
  const text = JSON.stringify(values, null, 2) + '\n';
  mkdirSync(dirname(path), { recursive: true });
  if (!opts.replace) {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
