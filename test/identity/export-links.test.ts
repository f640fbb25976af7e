import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersonId } from '../../src/core/ids.ts';
import { PersonExportSchema } from '../../src/identity/export-format.ts';
import {
  createExportLink,
  hashExportToken,
  openExportLink,
  pruneExportLinks,
} from '../../src/identity/export-links.ts';
import { exportDownloadRoutes } from '../../src/server/export-download.ts';
import type { Db } from '../../src/store/db.ts';
import { insertMessage } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;

/** One person with one message holding markup. */
async function seed(db: Db): Promise<PersonId> {
  const c = await resolveContact(
    db,
    { channel: 'whatsapp', address: '33612345678', displayName: 'Alice <b>' },
    NOW - HOUR,
  );
  const conv = await conversationFor(
    db,
    { personId: c.personId, contactId: c.contactId, channel: 'whatsapp', account: '1', isNewContact: true },
    NOW - HOUR,
  );
  await insertMessage(db, {
    conversationId: conv.id,
    personId: c.personId,
    contactId: c.contactId,
    channel: 'whatsapp',
    direction: 'in',
    providerMessageId: 'wamid.1',
    content: { type: 'text', text: 'hello <script>alert(1)</script>' },
    status: 'received',
    sentAt: NOW - HOUR,
  });
  return c.personId;
}

describe.each(DIALECTS)('%s', (dialect) => {
  let store: TestStore;
  let personId: PersonId;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    personId = await seed(store.db);
  });
  afterEach(() => store.close());

  describe('export links', () => {
    it('gives a 32-byte base64url token, stores only its hash, and expires after an hour by default', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(link.token, 'base64url')).toHaveLength(32);
      expect(link.path).toBe(`/export/${link.token}`);
      expect(link.expiresAt).toBe(NOW + HOUR);
      const rows = await store.db.selectFrom('export_links').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        token_hash: hashExportToken(link.token),
        person_id: personId,
        downloads: 0,
      });
      expect(JSON.stringify(rows)).not.toContain(link.token);
    });

    it('opens to the person before expiry, counting each download', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW, ttlMs: 10 * 60_000 });
      expect(await openExportLink(store.db, link.token, NOW + 1)).toEqual({ personId });
      expect(await openExportLink(store.db, link.token, NOW + 2)).toEqual({ personId });
      const row = await store.db.selectFrom('export_links').selectAll().executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(2);
      expect(Number(row.last_download_at)).toBe(NOW + 2);
    });

    it('is expired from expiresAt on, and an expired open is not counted', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW, ttlMs: 1000 });
      expect(await openExportLink(store.db, link.token, NOW + 999)).toEqual({ personId });
      expect(await openExportLink(store.db, link.token, NOW + 1000)).toEqual({ error: 'expired' });
      const row = await store.db.selectFrom('export_links').selectAll().executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(1);
    });

    it('does not know a token it never issued, or a malformed one', async () => {
      await createExportLink(store.db, personId, { now: NOW });
      expect(await openExportLink(store.db, 'A'.repeat(43), NOW)).toEqual({ error: 'unknown' });
      expect(await openExportLink(store.db, 'short', NOW)).toEqual({ error: 'unknown' });
      expect(await openExportLink(store.db, "' or 1=1 --", NOW)).toEqual({ error: 'unknown' });
    });

    it('prunes expired links only; a pruned link is unknown', async () => {
      const old = await createExportLink(store.db, personId, { now: NOW - 2 * HOUR });
      const fresh = await createExportLink(store.db, personId, { now: NOW });
      expect(await pruneExportLinks(store.db, NOW)).toBe(1);
      expect(await openExportLink(store.db, old.token, NOW)).toEqual({ error: 'unknown' });
      expect(await openExportLink(store.db, fresh.token, NOW)).toEqual({ personId });
      expect(await pruneExportLinks(store.db, NOW)).toBe(0);
    });

    it('refuses an unknown person, and a ttl that is not positive', async () => {
      await expect(createExportLink(store.db, 'nobody', { now: NOW })).rejects.toMatchObject({
        name: 'PersonRefError',
        reason: 'not_found',
      });
      await expect(createExportLink(store.db, personId, { now: NOW, ttlMs: 0 })).rejects.toBeInstanceOf(
        RangeError,
      );
    });
  });

  describe('GET /export/:token', () => {
    let app: FastifyInstance;
    let now: number;

    beforeEach(async () => {
      now = NOW;
      app = Fastify();
      await app.register(exportDownloadRoutes, { db: store.db, clock: () => now });
      await app.ready();
    });
    afterEach(() => app.close());

    const PRIVATE = {
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
    };

    it('serves the HTML transcript by default, privately', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      const res = await app.inject({ method: 'GET', url: link.path });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject(PRIVATE);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<h1>Conversation history of Alice &lt;b&gt;</h1>');
      expect(res.body).toContain('hello &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.body).not.toContain('<script>');
    });

    it('serves the JSON document as an attachment with ?format=json', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      const res = await app.inject({ method: 'GET', url: `${link.path}?format=json` });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject(PRIVATE);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="passerelle-export-${personId}.json"`,
      );
      const doc = PersonExportSchema.parse(res.json());
      expect(doc.person.id).toBe(personId);
      expect(doc.exportedAt).toBe('2026-06-01T12:00:00.000Z');
    });

    it('serves the Markdown transcript with ?format=md', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      const res = await app.inject({ method: 'GET', url: `${link.path}?format=md` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
      expect(res.body).toContain('# Conversation history of Alice \\<b\\>');
    });

    it('counts each download', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      await app.inject({ method: 'GET', url: link.path });
      await app.inject({ method: 'GET', url: `${link.path}?format=json` });
      const row = await store.db.selectFrom('export_links').selectAll().executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(2);
    });

    it('answers 404 with a page for an unknown token', async () => {
      const res = await app.inject({ method: 'GET', url: `/export/${'x'.repeat(43)}` });
      expect(res.statusCode).toBe(404);
      expect(res.headers).toMatchObject(PRIVATE);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<h1>Download link not found</h1>');
    });

    it('answers 410 for an expired link: a page, or JSON when asked for', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW, ttlMs: 1000 });
      now = NOW + 1000;
      const page = await app.inject({ method: 'GET', url: link.path });
      expect(page.statusCode).toBe(410);
      expect(page.headers).toMatchObject(PRIVATE);
      expect(page.body).toContain('<h1>Download link expired</h1>');
      const json = await app.inject({
        method: 'GET',
        url: link.path,
        headers: { accept: 'application/json' },
      });
      expect(json.statusCode).toBe(410);
      expect(json.json()).toMatchObject({ error: 'expired' });
      const unknown = await app.inject({
        method: 'GET',
        url: '/export/nope',
        headers: { accept: 'application/json' },
      });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ error: 'unknown' });
    });

    it('answers 400 naming the accepted formats, without using the link', async () => {
      const link = await createExportLink(store.db, personId, { now: NOW });
      const res = await app.inject({ method: 'GET', url: `${link.path}?format=pdf` });
      expect(res.statusCode).toBe(400);
      expect(res.headers).toMatchObject(PRIVATE);
      expect(res.json().error).toBe('unknown format "pdf": expected one of json, md, html');
      const row = await store.db.selectFrom('export_links').selectAll().executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(0);
    });

    it('answers 404 when the person was erased after the link was made', async () => {
      await store.db
        .insertInto('people')
        .values({ id: 'per-gone', display_name: null, language: null, created_at: NOW, updated_at: NOW })
        .execute();
      const link = await createExportLink(store.db, 'per-gone', { now: NOW });
      await store.db.deleteFrom('people').where('id', '=', 'per-gone').execute();
      const res = await app.inject({ method: 'GET', url: link.path });
      expect(res.statusCode).toBe(404);
    });
  });
});
