import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildConsole, consoleHtml } from '../../src/console/build.ts';
import { decisionText, tick } from '../../src/console/ui/format.ts';
import { parseRoute } from '../../src/console/ui/router.ts';
import { segmentsOf } from '../../src/console/ui/screens/campaigns.ts';
import { queueDepths } from '../../src/console/ui/screens/stats.ts';

/** The console's front end as the gateway builds it at start (esbuild, in memory). */
describe('console front end build', () => {
  it('bundles the app and its stylesheet, minified, without source maps', async () => {
    const started = Date.now();
    const { js, css } = await buildConsole();
    const ms = Date.now() - started;
    const gz = (s: string) => gzipSync(s).length;
    console.log(
      `console bundle: app.js ${js.length} B (${gz(js)} B gzip), app.css ${css.length} B (${gz(css)} B gzip), built in ${ms} ms`,
    );
    expect(js.length).toBeGreaterThan(10_000); // Preact and the screens are in it
    expect(js.length).toBeLessThan(150_000);
    expect(gz(js)).toBeLessThan(50_000);
    expect(css.length).toBeLessThan(40_000);
    expect(js.includes('sourceMappingURL') || css.includes('sourceMappingURL')).toBe(false);
    // Minified: no indentation left, one IIFE.
    expect(js.split('\n').length).toBeLessThan(5);
    expect(/^("use strict";)?\(\(\)=>\{/.test(js)).toBe(true);
    // Strings the screens need made it in (checked without printing 50 kB on a failure).
    const missing = ['/console/api', 'x-csrf-token', 'EventSource', '#/inbox', 'Take over'].filter(
      (s) => !js.includes(s),
    );
    expect(missing).toEqual([]);
    expect(css.includes(':focus-visible')).toBe(true);
  });

  it('loads nothing from outside the gateway', async () => {
    const { js, css } = await buildConsole();
    expect(css.match(/@import|@font-face|url\(\s*["']?https?:/g)).toBeNull();
    // No CDN or third-party origin is referenced by the code (SVG/MathML namespaces are names, not fetches).
    expect(js.match(/https?:\/\/(?!www\.w3\.org\/)[a-z0-9.-]+\.[a-z]{2,}[^"'`]*/gi)).toBeNull();
  });

  it('is built once per process', async () => {
    expect(buildConsole()).toBe(buildConsole());
  });

  it('serves an HTML shell that loads the two assets by absolute path', () => {
    const html = consoleHtml({});
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<link rel="stylesheet" href="/console/app.css">');
    expect(html).toContain('<script src="/console/app.js" defer></script>');
    expect(html).toContain('<div id="app">');
    expect(html).toMatch(/<noscript>[^<]*<p>[^<]*JavaScript/);
    expect(html).toContain('<title>Passerelle console</title>');
  });

  it('has no inline script or style, so a strict Content-Security-Policy fits', () => {
    const html = consoleHtml({});
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
    expect(html).not.toMatch(/\son[a-z]+="/);
  });

  it('escapes the title', () => {
    const html = consoleHtml({ title: 'Shop <b>&</b> "Co"' });
    expect(html).toContain('<title>Shop &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;</title>');
  });
});

/** The pure parts of the app, without a browser. */
describe('console routes and labels', () => {
  const at = (hash: string, pathname = '/console', search = '') => parseRoute({ hash, pathname, search });

  it('reads the screen from the URL hash', () => {
    expect(at('')).toEqual({ name: 'inbox' });
    expect(at('#/inbox')).toEqual({ name: 'inbox' });
    expect(at('#/people/01a2-x')).toEqual({ name: 'person', id: '01a2-x' });
    expect(at('#/kb?q=opening-hours')).toEqual({ name: 'kb', q: 'opening-hours' });
    expect(at('#/stats')).toEqual({ name: 'stats' });
    expect(at('#/nope')).toEqual({ name: 'notfound', path: '/nope' });
  });

  it('reads the setup token from the redirect, or from /console/setup when not redirected', () => {
    expect(at('#/setup?token=a%2Bb')).toEqual({ name: 'setup', token: 'a+b' });
    expect(at('', '/console/setup', '?token=T0K')).toEqual({ name: 'setup', token: 'T0K' });
  });

  it('marks delivery with ticks, and says the problems in words', () => {
    expect(tick('sent')).toMatchObject({ symbol: '✓', tone: 'sent' });
    expect(tick('delivered')).toMatchObject({ symbol: '✓✓', tone: 'delivered' });
    expect(tick('read')).toMatchObject({ symbol: '✓✓', tone: 'read' });
    for (const s of ['failed', 'held', 'refused'])
      expect(tick(s)).toMatchObject({ tone: 'problem', word: s });
  });

  it('shows the matcher decision whatever its shape', () => {
    expect(decisionText('out_of_scope')).toBe('Out of scope');
    expect(decisionText({ kind: 'answer', id: 'opening-hours' })).toBe('Answer: opening-hours');
  });

  it('lays campaign members out in the order a campaign moves them', () => {
    expect(segmentsOf({ pending: 2, linked: 1, custom_state: 1 }).map((s) => s.key)).toEqual([
      'linked',
      'pending',
      'custom_state',
    ]);
  });

  it('reads queue depths flat or one level deep', () => {
    expect(queueDepths({ inbox: 1, outbox: { pending: 2, dead: 0 } })).toEqual([
      ['inbox', 1],
      ['outbox pending', 2],
      ['outbox dead', 0],
    ]);
  });
});
