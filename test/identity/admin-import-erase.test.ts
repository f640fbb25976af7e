import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectExport } from '../../src/identity/export.ts';
import {
  adminImportErasePaths,
  adminImportEraseRoutes,
  IMPORT_BODY_LIMIT,
} from '../../src/server/admin-import-erase.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';
import { dumpAll, seedPerson, SEED_NOW } from './seed-person.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'whatsapp-chat');
const chat = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

describe.each(DIALECTS)('%s: admin API, import and erase', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    app = Fastify();
    // As the admin API mounts it: inside its own (guarded) plugin scope.
    await app.register(async (api) =>
      adminImportEraseRoutes(api, { db: store.db, clock: () => SEED_NOW + 5000 }),
    );
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await store.close();
  });

  it('DELETE /api/people/:ref erases the person and answers the counts; again is a 404', async () => {
    const p = await seedPerson(store.db, 'a', '33611111111', '1001');
    const res = await app.inject({ method: 'DELETE', url: '/api/people/whatsapp:%2B33611111111' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      personId: p.personId,
      erased: { people: 1, messages: 4, contacts: 2 },
    });
    const entry = await store.db.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ action: 'person.erased', actor: 'api', at: SEED_NOW + 5000 });
    const again = await app.inject({ method: 'DELETE', url: `/api/people/${p.personId}` });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ error: 'no person a-person' });
  });

  it('DELETE with a malformed reference is a 400', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/people/fax:1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid person reference');
  });

  it('POST /api/import with an export restores the person (201), and again writes nothing', async () => {
    const p = await seedPerson(store.db, 'a', '33611111111', '1001');
    const before = await collectExport(store.db, p.personId, 1);
    await app.inject({ method: 'DELETE', url: `/api/people/${p.personId}` });
    const res = await app.inject({ method: 'POST', url: '/api/import', payload: before });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      format: 'passerelle',
      personId: p.personId,
      createdPerson: true,
      inserted: { messages: 4, contacts: 2 },
      skipped: 0,
    });
    expect(await collectExport(store.db, p.personId, 1)).toEqual(before);
    const snapshot = await dumpAll(store.db);
    const again = await app.inject({ method: 'POST', url: '/api/import', payload: before });
    expect(again.statusCode).toBe(201);
    expect(again.json().inserted.messages).toBe(0);
    expect(await dumpAll(store.db)).toEqual(snapshot);
  });

  it('POST /api/import answers 400 with the problems of an invalid export', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/import',
      payload: { format: 'passerelle.person-export', version: 1, person: { id: 'x' } },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('invalid person export');
    expect(body.problems).toContain('person.createdAt: Invalid input: expected number, received undefined');
    const newer = await app.inject({
      method: 'POST',
      url: '/api/import',
      payload: { format: 'passerelle.person-export', version: 2 },
    });
    expect(newer.statusCode).toBe(400);
    expect(newer.json()).toEqual({ error: 'export version 2 is newer than this Passerelle understands (1)' });
    const broken = await app.inject({
      method: 'POST',
      url: '/api/import',
      headers: { 'content-type': 'application/json' },
      payload: '{ nope',
    });
    expect(broken.statusCode).toBe(400);
    expect(Object.keys(broken.json())).toEqual(['error']);
  });

  it('POST /api/import with a WhatsApp chat (text/plain) imports it for the person', async () => {
    const p = await seedPerson(store.db, 'a', '33611111111', '1001');
    const url = `/api/import?person=${encodeURIComponent('whatsapp:33611111111')}&me=Sam%20Patel&timezone=America/Chicago`;
    const send = () =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        payload: chat('ios-en-us.txt'),
      });
    const res = await send();
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      format: 'whatsapp',
      personId: p.personId,
      contactId: p.whatsapp.contactId,
      platform: 'ios',
      dateOrder: 'mdy',
      messages: 14,
      inserted: 14,
      skipped: 0,
    });
    const again = await send();
    expect(again.json()).toMatchObject({ inserted: 0, skipped: 14 });
  });

  it('a WhatsApp chat without person or me is a 400 listing the authors', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/import?person=x',
      headers: { 'content-type': 'text/plain' },
      payload: chat('android-es.txt'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      problems: ['me: Invalid input: expected string, received undefined'],
      authors: ['Lucía Fernández', 'ChatGPT'],
    });
    const p = await seedPerson(store.db, 'a', '33611111111', '1001');
    const wrong = await app.inject({
      method: 'POST',
      url: `/api/import?person=${p.personId}&me=Lucia`,
      headers: { 'content-type': 'text/plain' },
      payload: chat('android-es.txt'),
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({
      error: '"Lucia" is not an author of this chat',
      authors: ['Lucía Fernández', 'ChatGPT'],
    });
  });

  it('a WhatsApp chat for nobody is a 404; a text that is no chat is a 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/import?person=whatsapp:33600000000&me=ChatGPT',
      headers: { 'content-type': 'text/plain' },
      payload: chat('android-es.txt'),
    });
    expect(res.statusCode).toBe(404);
    const notChat = await app.inject({
      method: 'POST',
      url: '/api/import?person=x&me=y',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello there',
    });
    expect(notChat.statusCode).toBe(400);
    expect(notChat.json().error).toContain('does not look like a WhatsApp chat export');
  });

  it('refuses a body over 20 MB with 413, and other content types with 415', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/api/import?person=x&me=y',
      headers: { 'content-type': 'text/plain' },
      payload: 'x'.repeat(IMPORT_BODY_LIMIT + 1),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'the file is larger than 20 MB' });
    const csv = await app.inject({
      method: 'POST',
      url: '/api/import',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b',
    });
    expect(csv.statusCode).toBe(415);
  });

  it('accepts a chat between 1 and 20 MB', async () => {
    const p = await seedPerson(store.db, 'a', '33611111111', '1001');
    const line = (i: number) =>
      `1/2/24, 9:${String(i % 60).padStart(2, '0')} AM - ${i % 2 ? 'Ann' : 'Bot'}: ${'z'.repeat(200)} ${i}`;
    const text = Array.from({ length: 8000 }, (_, i) => line(i)).join('\n');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const res = await app.inject({
      method: 'POST',
      url: `/api/import?person=${p.personId}&me=Ann`,
      headers: { 'content-type': 'text/plain' },
      payload: text,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().inserted).toBe(8000);
  });
});

describe('adminImportErasePaths', () => {
  it('describes both routes for the OpenAPI document', () => {
    const paths = adminImportErasePaths() as Record<string, Record<string, { responses: object }>>;
    expect(Object.keys(paths)).toEqual(['/api/import', '/api/people/{ref}']);
    expect(Object.keys(paths['/api/import']!.post!.responses)).toEqual(
      expect.arrayContaining(['201', '400', '404', '409', '413', '415', '401']),
    );
    expect(Object.keys(paths['/api/people/{ref}']!)).toEqual(['delete']);
    JSON.stringify(paths);
  });
});
