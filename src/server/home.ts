import type { FastifyInstance } from 'fastify';

/** `GET /`: a small page pointing a newcomer (or an operator) to what this gateway serves. */
export async function homeRoute(app: FastifyInstance, opts: { sandbox: boolean }): Promise<void> {
  const links: [string, string][] = [
    ...(opts.sandbox
      ? ([['/sandbox', 'Sandbox phone: chat with the assistant as a WhatsApp user']] as [string, string][])
      : []),
    ['/healthz', 'Health'],
    ['/readyz', 'Readiness'],
    ['/metrics', 'Prometheus metrics'],
  ];
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passerelle</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}a{color:#075e54}</style>
</head><body>
<h1>Passerelle</h1>
<p>An AI messaging gateway: WhatsApp through the official Cloud API${opts.sandbox ? ', here wired to the local sandbox (no WhatsApp credentials are set)' : ''}.</p>
<ul>${links.map(([href, label]) => `<li><a href="${href}">${label}</a> <code>${href}</code></li>`).join('')}</ul>
<p>Webhook endpoint for Meta: <code>/webhooks/whatsapp</code></p>
</body></html>`;
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
}
