import { build } from 'esbuild';
import { escapeHtml } from '../core/html.ts';
import { fileURLToPath } from 'node:url';

/** The console's entry point: a Preact app (`ui/main.ts`) that imports its stylesheet. */
/** The TypeScript source, from the package root: the same from `src/` and from the compiled `dist/`. */
export const CONSOLE_ENTRY = fileURLToPath(new URL('../../src/console/ui/main.ts', import.meta.url));

/** Where the shell loads the bundle from; absolute, so `/console`, `/console/` and deep links all work. */
export const CONSOLE_JS_PATH = '/console/app.js';
export const CONSOLE_CSS_PATH = '/console/app.css';

export interface ConsoleAssets {
  /** `/console/app.js`: one minified IIFE (Preact included). */
  js: string;
  /** `/console/app.css`: the stylesheet, minified. */
  css: string;
}

let cached: Promise<ConsoleAssets> | undefined;

/**
 * Bundles the operator console with esbuild (a dependency; nothing is downloaded at run time): the
 * app and Preact as one minified script, its CSS as one stylesheet, no source maps, for browsers from
 * 2020 on. Runs once per process, at start (about 100 ms); the server serves the result from memory.
 */
export function buildConsole(): Promise<ConsoleAssets> {
  cached ??= build({
    entryPoints: { app: CONSOLE_ENTRY },
    bundle: true,
    minify: true,
    format: 'iife',
    // Safari 14.1, not 13: esbuild cannot lower destructuring for Safari's older destructuring bugs.
    target: ['es2019', 'chrome80', 'firefox78', 'safari14.1'],
    outdir: 'console-out', // required to name two outputs; nothing is written (write: false)
    write: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  }).then((r) => {
    const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
    const css = r.outputFiles.find((f) => f.path.endsWith('.css'));
    if (!js || !css) throw new Error('console build: esbuild produced no app.js or app.css');
    return { js: js.text, css: css.text };
  });
  return cached;
}

/**
 * The HTML page served at `/console`: it only loads the bundle, which renders everything (routing is
 * on the URL hash). No inline script or style, so a strict Content-Security-Policy
 * (`default-src 'self'`) fits it.
 */
export function consoleHtml(opts: { title?: string } = {}): string {
  const title = escapeHtml(opts.title ?? 'Passerelle console');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title}</title>
<link rel="stylesheet" href="${CONSOLE_CSS_PATH}">
<script src="${CONSOLE_JS_PATH}" defer></script>
</head>
<body>
<div id="app"><noscript><p>The Passerelle console needs JavaScript. Please enable it for this site and reload the page.</p></noscript></div>
</body>
</html>
`;
}
