import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** The widget's entry point (TypeScript, DOM only, no dependencies). */
/** The TypeScript source, from the package root: the same from `src/` and from the compiled `dist/`. */
export const WIDGET_ENTRY = fileURLToPath(
  new URL('../../../../src/channels/webchat/widget/widget.ts', import.meta.url),
);

let cached: Promise<string> | undefined;

/**
 * Bundles `/widget.js` from `widget.ts` with esbuild (a dependency; no download at run time): one
 * minified IIFE, no network, about 50 ms. Runs once per process, at start; the result is served from
 * memory.
 */
export function buildWidget(): Promise<string> {
  cached ??= build({
    entryPoints: [WIDGET_ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019', 'chrome80', 'firefox78', 'safari13'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return cached;
}
