import { gzipSync } from 'node:zlib';
import { buildWidget } from './build.ts';

/** The size of `/widget.js` as served, and gzip-compressed (level 9), in bytes. */
export async function widgetSize(): Promise<{ bytes: number; gzip: number }> {
  const code = Buffer.from(await buildWidget(), 'utf8');
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** One report line, for `npm run bench`. */
export async function renderWidgetSize(): Promise<string> {
  const s = await widgetSize();
  return `Web chat widget (/widget.js): ${s.bytes} bytes, ${s.gzip} bytes gzip`;
}
