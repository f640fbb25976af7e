import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersonId } from '../../src/core/ids.ts';
import { PersonExportSchema } from '../../src/identity/export-format.ts';
import { openExportLink } from '../../src/identity/export-links.ts';
import { adminExportPaths, adminExportRoutes } from '../../src/server/admin-export.ts';
import { recordConsent } from '../../src/store/consents.ts';
import type { Db } from '../../src/store/db.ts';
import { insertMessage } from '../../src/store/messages.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

/** Alice: one WhatsApp contact, two messages in and one out, one consent. */
async function seed(db: Db): Promise<PersonId> {
  const c = await resolveContact(
    db,
    { channel: 'whatsapp', address: '33612345678', waId: '33612345678', displayName: 'Alice' },
    NOW,
  );
  const conv = await conversationFor(
    db,
    { personId: c.personId, contactId: c.contactId, channel: 'whatsapp', account: '1', isNewContact: true },
    NOW,
  );
  const directions = ['in', 'out', 'in'] as const;
  for (const [i, direction] of directions.entries()) {
    await insertMessage(db, {
      conversationId: conv.id,
      personId: c.personId,
      contactId: c.contactId,
      channel: 'whatsapp',
      direction,
      providerMessageId: `wamid.${i}`,
      content: { type: 'text', text: `message ${i}` },
      status: direction === 'in' ? 'received' : 'delivered',
      sentAt: NOW + i * 1000,
    });
  }
  await recordConsent(db, { personId: c.personId, channel: 'whatsapp', kind: 'opt_in', source: 'api' }, NOW);
  return c.personId;
}

describe.each(DIALECTS)('%s: admin API, people and exports', (dialect) => {
  let store: TestStore;
  let personId: PersonId;
  let app: FastifyInstance;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    personId = await seed(store.db);
    app = Fastify();
    // As the admin API mounts it: inside its own (guarded) plugin scope.
    await app.register(async (api) => adminExportRoutes(api, { db: store.db, clock: () => NOW }));
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await store.close();
  });

  describe('GET /api/people/:ref', () => {
    it('gives the person, their contacts and counts, by id', async () => {
      const res = await app.inject({ method: 'GET', url: `/api/people/${personId}` });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.person).toEqual({
        id: personId,
        displayName: 'Alice',
        language: null,
        createdAt: NOW,
        updatedAt: NOW,
      });
      expect(body.contacts).toHaveLength(1);
      expect(body.contacts[0]).toMatchObject({
        channel: 'whatsapp',
        address: '33612345678',
        waId: '33612345678',
      });
      expect(body.counts).toEqual({ conversations: 1, messages: 3, inbound: 2, outbound: 1, consents: 1 });
    });

    it('finds the person by channel:address (a + URL-encoded)', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/people/whatsapp:%2B33612345678' });
      expect(res.statusCode).toBe(200);
      expect(res.json().person.id).toBe(personId);
    });

    it('answers 404 for nobody and 400 for a malformed reference', async () => {
      const missing = await app.inject({ method: 'GET', url: '/api/people/whatsapp:33699999999' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: 'no whatsapp contact 33699999999' });
      const bad = await app.inject({ method: 'GET', url: '/api/people/fax:1' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toBe('invalid person reference');
      expect(bad.json().problems[0]).toContain('unknown channel "fax"');
    });
  });

  describe('GET /api/people/:ref/export', () => {
    it('gives the JSON document by default', async () => {
      const res = await app.inject({ method: 'GET', url: `/api/people/${personId}/export` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const doc = PersonExportSchema.parse(res.json());
      expect(doc.messages).toHaveLength(3);
      expect(doc.exportedAt).toBe('2026-06-01T12:00:00.000Z');
    });

    it.each([
      ['md', 'text/markdown; charset=utf-8', '# Conversation history of Alice'],
      ['html', 'text/html; charset=utf-8', '<h1>Conversation history of Alice</h1>'],
    ])('gives the %s transcript', async (format, type, title) => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/people/whatsapp:33612345678/export?format=${format}`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.body).toContain(title);
      expect(res.body).toContain('message 1');
    });

    it('answers 400 naming the formats, and 404 for nobody', async () => {
      const bad = await app.inject({ method: 'GET', url: `/api/people/${personId}/export?format=pdf` });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toBe('invalid query');
      expect(bad.json().problems[0]).toMatch(/^format: .*"json"\|"md"\|"html"/);
      const missing = await app.inject({ method: 'GET', url: '/api/people/nobody/export' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: 'no person nobody' });
    });
  });

  describe('POST /api/people/:ref/export-link', () => {
    it('creates a one-hour link that opens to the person', async () => {
      const res = await app.inject({ method: 'POST', url: `/api/people/${personId}/export-link` });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.path).toMatch(/^\/export\/[A-Za-z0-9_-]{43}$/);
      expect(body.url).toBe(body.path);
      expect(body.expiresAt).toBe('2026-06-01T13:00:00.000Z');
      const token = body.path.slice('/export/'.length);
      expect(await openExportLink(store.db, token, NOW)).toEqual({ personId });
    });

    it('takes a lifetime in seconds, and gives an absolute URL when the public URL is known', async () => {
      const other = Fastify();
      await other.register(async (api) =>
        adminExportRoutes(api, { db: store.db, clock: () => NOW, publicUrl: 'https://chat.example.com/' }),
      );
      try {
        const res = await other.inject({
          method: 'POST',
          url: `/api/people/${personId}/export-link`,
          payload: { ttlSeconds: 600 },
        });
        expect(res.statusCode).toBe(201);
        const body = res.json();
        expect(body.url).toBe(`https://chat.example.com${body.path}`);
        expect(body.expiresAt).toBe('2026-06-01T12:10:00.000Z');
      } finally {
        await other.close();
      }
    });

    it('answers 400 for a bad body and 404 for nobody', async () => {
      const bad = await app.inject({
        method: 'POST',
        url: `/api/people/${personId}/export-link`,
        payload: { ttlSeconds: 5, extra: true },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toBe('invalid body');
      expect(bad.json().problems).toHaveLength(2);
      const missing = await app.inject({ method: 'POST', url: '/api/people/nobody/export-link' });
      expect(missing.statusCode).toBe(404);
      expect(await store.db.selectFrom('export_links').selectAll().execute()).toEqual([]);
    });
  });
});

describe('adminExportPaths', () => {
  it('describes the three routes as OpenAPI path objects with JSON schemas', () => {
    const paths = adminExportPaths() as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    expect(Object.keys(paths)).toEqual([
      '/api/people/{ref}',
      '/api/people/{ref}/export',
      '/api/people/{ref}/export-link',
    ]);
    expect(Object.keys(paths['/api/people/{ref}/export-link']!.post!.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '404']),
    );
    const exportSchema = JSON.stringify(paths['/api/people/{ref}/export']!.get);
    expect(exportSchema).toContain('"statusHistory"');
    expect(exportSchema).toContain('passerelle.person-export');
  });
});
