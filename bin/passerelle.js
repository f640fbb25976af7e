#!/usr/bin/env node
// Entry point of the `passerelle` CLI. The sources are TypeScript. `npm run build` (run by `npm start`)
// compiles them to `dist/`; while that build is newer than every source file, it runs, as plain
// JavaScript: about 40 MB less memory than compiling on the fly. Otherwise (a fresh clone, or a
// source edited since the build) tsx's hooks load the sources directly: nothing ever runs stale code.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/cli/main.js', root);

/** Newest modification time (ms) of the files under `dir`, or Infinity if it cannot be read. */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

function buildIsFresh() {
  try {
    return statSync(compiled).mtimeMs >= newest(new URL('src', root).pathname);
  } catch {
    return false;
  }
}

let main;
if (process.env.PASSERELLE_FROM_SOURCE !== '1' && buildIsFresh()) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
