import { describe, expect, it } from 'vitest';
import { CREDS, harness } from './helpers.ts';

const auth = { authorization: `Bearer ${CREDS.accessToken}` };

async function upload(
  graphUrl: string,
  bytes: Buffer,
  type: string,
  fields: Record<string, string> = { messaging_product: 'whatsapp' },
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'file.bin');
  const res = await fetch(`${graphUrl}/v25.0/${CREDS.phoneNumberId}/media`, {
    method: 'POST',
    headers: auth,
    body: form,
  });
  return { status: res.status, json: (await res.json()) as { id?: string; error?: { code: number } } };
}

describe('media endpoints (spec §2.5, §7 item 8)', () => {
  it('uploads, describes, downloads, expires after 5 minutes and deletes media', async () => {
    const { sb } = await harness();
    const bytes = Buffer.from('\x89PNG sandbox image');
    const up = await upload(sb.graphUrl, bytes, 'image/png');
    expect(up.status).toBe(200);
    expect(up.json).toEqual({ id: expect.stringMatching(/^\d{15,16}$/) });
    const id = up.json.id!;

    const info = (await (await fetch(`${sb.graphUrl}/v25.0/${id}`, { headers: auth })).json()) as Record<
      string,
      unknown
    >;
    expect(info).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringContaining('/lookaside/whatsapp_business/attachments/?mid='),
      mime_type: 'image/png',
      sha256: (await import('node:crypto')).createHash('sha256').update(bytes).digest('base64'),
      file_size: bytes.length,
      id,
    });

    const download = await fetch(info.url as string, { headers: auth });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);

    sb.clock.advance(5 * 60_000);
    expect((await fetch(info.url as string, { headers: auth })).status).toBe(404);

    const del = await fetch(`${sb.graphUrl}/v25.0/${id}`, { method: 'DELETE', headers: auth });
    expect(await del.json()).toEqual({ success: true });
    expect((await fetch(`${sb.graphUrl}/v25.0/${id}`, { headers: auth })).status).toBe(400);
  });

  it('refuses a download without the Bearer token', async () => {
    const { sb } = await harness();
    const media = sb.uploadMedia(Buffer.from('pdf'), 'application/pdf');
    const info = (await (await fetch(`${sb.graphUrl}/v25.0/${media.id}`, { headers: auth })).json()) as {
      url: string;
    };
    expect((await fetch(info.url)).status).toBe(401);
  });

  it('answers 404 for a forged download URL', async () => {
    const { sb } = await harness();
    const media = sb.uploadMedia(Buffer.from('pdf'), 'application/pdf');
    const url = `${sb.url}/lookaside/whatsapp_business/attachments/?mid=${media.id}&ext=9999999999&hash=forged`;
    expect((await fetch(url, { headers: auth })).status).toBe(404);
  });

  it('rejects an upload without messaging_product with code 100', async () => {
    const { sb } = await harness();
    const up = await upload(sb.graphUrl, Buffer.from('x'), 'image/png', {});
    expect(up.status).toBe(400);
    expect(up.json.error?.code).toBe(100);
  });

  it('rejects an image over 5 MB', async () => {
    const { sb } = await harness();
    const up = await upload(sb.graphUrl, Buffer.alloc(5 * 1024 * 1024 + 1), 'image/jpeg');
    expect(up.status).toBe(400);
    expect(up.json.error?.code).toBe(131053);
  });

  it('rejects an unsupported media type with code 100', async () => {
    const { sb } = await harness();
    const up = await upload(sb.graphUrl, Buffer.from('GIF89a'), 'image/gif');
    expect(up.json.error?.code).toBe(100);
  });
});
