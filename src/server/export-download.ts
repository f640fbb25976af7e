import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectExport } from '../identity/export.ts';
import type { PersonExport } from '../identity/export-format.ts';
import { openExportLink } from '../identity/export-links.ts';
import { PersonRefError } from '../identity/lookup.ts';
import { escapeHtml, renderHtml, renderMarkdown } from '../identity/transcript.ts';
import type { Db } from '../store/db.ts';

/** The forms an export is served in: the JSON document, or a transcript. */
export const EXPORT_FORMATS = ['json', 'md', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(v: unknown): v is ExportFormat {
  return typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v);
}

/** An export rendered for HTTP: body, media type, and how it is named when saved. */
export interface RenderedExport {
  body: string;
  contentType: string;
  /** `attachment; filename=…` (JSON) or `inline; filename=…`. */
  disposition: string;
}

/** The export in one format; the JSON document is indented, for people who open it. */
export function renderExport(exp: PersonExport, format: ExportFormat): RenderedExport {
  const base = `passerelle-export-${exp.person.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  switch (format) {
    case 'json':
      return {
        body: `${JSON.stringify(exp, null, 2)}\n`,
        contentType: 'application/json; charset=utf-8',
        disposition: `attachment; filename="${base}.json"`,
      };
    case 'md':
      return {
        body: renderMarkdown(exp),
        contentType: 'text/markdown; charset=utf-8',
        disposition: `inline; filename="${base}.md"`,
      };
    case 'html':
      return {
        body: renderHtml(exp),
        contentType: 'text/html; charset=utf-8',
        disposition: `inline; filename="${base}.html"`,
      };
  }
}

export interface ExportDownloadOptions {
  db: Db;
  clock?: () => number;
  /** Recorded as `source.instance` in the document (the gateway's `PUBLIC_URL`). */
  instance?: string;
}

/**
 * Headers of every answer on a download link: the page holds a person's whole history, so it is never
 * cached, never indexed, never sent on as a referrer, never framed, and runs no script.
 */
function privateHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
}

const PROBLEMS = {
  unknown: {
    status: 404,
    title: 'Download link not found',
    text: 'This download link does not exist, or it has expired and been removed. Ask for a new one.',
  },
  expired: {
    status: 410,
    title: 'Download link expired',
    text: 'This download link has expired. Download links work for a short time only: ask for a new one.',
  },
} as const;

function wantsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

function problemPage(title: string, text: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif}main{max-width:32rem;margin:0 auto;padding:2rem 1rem}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
</main>
</body>
</html>
`;
}

function sendProblem(req: FastifyRequest, reply: FastifyReply, kind: keyof typeof PROBLEMS): FastifyReply {
  const p = PROBLEMS[kind];
  privateHeaders(reply).code(p.status);
  if (wantsJson(req)) return reply.send({ error: kind, message: p.text });
  return reply.type('text/html; charset=utf-8').send(problemPage(p.title, p.text));
}

/**
 * `GET /export/:token`: a person's export through a short-lived link (`export-links.ts`). The HTML
 * transcript by default; `?format=json` (the document, as an attachment) or `?format=md`. Unknown
 * token: 404; expired: 410; a page for people, or JSON for `Accept: application/json`. A bad `format`
 * is refused before the link is used, so it does not count as a download. No HEAD route: a HEAD would
 * count a download without serving one.
 */
export async function exportDownloadRoutes(app: FastifyInstance, opts: ExportDownloadOptions): Promise<void> {
  const clock = opts.clock ?? Date.now;
  app.route<{ Params: { token: string }; Querystring: { format?: string | string[] } }>({
    method: 'GET',
    url: '/export/:token',
    exposeHeadRoute: false,
    handler: async (req, reply) => {
      const format = req.query.format ?? 'html';
      if (!isExportFormat(format)) {
        return privateHeaders(reply)
          .code(400)
          .send({
            error: `unknown format ${JSON.stringify(format)}: expected one of ${EXPORT_FORMATS.join(', ')}`,
            accepted: EXPORT_FORMATS,
          });
      }
      const now = clock();
      const link = await openExportLink(opts.db, req.params.token, now);
      if ('error' in link) return sendProblem(req, reply, link.error);
      let exp: PersonExport;
      try {
        exp = await collectExport(
          opts.db,
          link.personId,
          now,
          opts.instance ? { instance: opts.instance } : {},
        );
      } catch (err) {
        // The person was erased after the link was made: nothing to give.
        if (err instanceof PersonRefError) return sendProblem(req, reply, 'unknown');
        throw err;
      }
      const r = renderExport(exp, format);
      return privateHeaders(reply)
        .type(r.contentType)
        .header('content-disposition', r.disposition)
        .send(r.body);
    },
  });
}
