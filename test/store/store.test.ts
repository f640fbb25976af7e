import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/db.ts';
import {
  claimInbox,
  commitToInbox,
  markInboxDone,
  pendingInbox,
  releaseInbox,
} from '../../src/store/inbox.ts';
import {
  enqueueOutbox,
  reconcileByCallback,
  recoverExpiredLeases,
  claimOutbox,
} from '../../src/store/outbox.ts';
import { resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore } from '../helpers/db.ts';
import { textEvent as msg } from '../helpers/events.ts';

let store: Store;

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  describe('inbox', () => {
    it('stores a repeated event once and counts the duplicate', async () => {
      const a = await commitToInbox(store.db, [msg('wamid.1'), msg('wamid.2')]);
      const b = await commitToInbox(store.db, [msg('wamid.2'), msg('wamid.1')]);
      expect(a.accepted).toHaveLength(2);
      expect(b).toEqual({ accepted: [], duplicates: 2 });
      const rows = await store.db.selectFrom('inbox').select('id').execute();
      expect(rows).toHaveLength(2);
    });

    it('collapses a duplicate inside one body', async () => {
      const r = await commitToInbox(store.db, [msg('wamid.1'), msg('wamid.1')]);
      expect(r.accepted).toHaveLength(1);
      expect(r.duplicates).toBe(1);
    });

    it('leases an item to one worker at a time', async () => {
      const { accepted } = await commitToInbox(store.db, [msg('wamid.1')]);
      const ids = accepted.map((a) => a.id);
      expect(await claimInbox(store.db, ids, 'w1', 60_000)).toHaveLength(1);
      expect(await claimInbox(store.db, ids, 'w2', 60_000)).toHaveLength(0);
    });

    it('lets another worker take over an expired lease', async () => {
      const { accepted } = await commitToInbox(store.db, [msg('wamid.1')]);
      const ids = accepted.map((a) => a.id);
      await claimInbox(store.db, ids, 'w1', 10, 1000);
      expect(await pendingInbox(store.db, 10, 1005)).toHaveLength(0);
      expect(await pendingInbox(store.db, 10, 1011)).toHaveLength(1);
      expect(await claimInbox(store.db, ids, 'w2', 60_000, 1011)).toHaveLength(1);
    });

    it('marks a poison item failed after its attempts, keeping the error', async () => {
      const { accepted } = await commitToInbox(store.db, [msg('wamid.1')]);
      const ids = accepted.map((a) => a.id);
      for (let i = 0; i < 2; i++) {
        await claimInbox(store.db, ids, 'w', 60_000);
        await releaseInbox(store.db, ids, 'boom', 2);
      }
      const row = await store.db.selectFrom('inbox').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'failed', attempts: 2, last_error: 'boom' });
    });

    it('does not hand out done items again', async () => {
      const { accepted } = await commitToInbox(store.db, [msg('wamid.1')]);
      const ids = accepted.map((a) => a.id);
      await claimInbox(store.db, ids, 'w', 60_000);
      await markInboxDone(store.db, ids);
      expect(await claimInbox(store.db, ids, 'w', 60_000)).toHaveLength(0);
      expect(await pendingInbox(store.db, 10)).toHaveLength(0);
    });
  });

  describe('contacts', () => {
    it('keeps one person when a user later appears with a business-scoped id', async () => {
      const a = await resolveContact(store.db, {
        channel: 'whatsapp',
        address: '16505551234',
        waId: '16505551234',
      });
      const b = await resolveContact(store.db, {
        channel: 'whatsapp',
        address: '16505551234',
        waId: '16505551234',
        userId: 'user.93737',
        username: '@sheena',
      });
      const c = await resolveContact(store.db, {
        channel: 'whatsapp',
        address: 'user.93737',
        userId: 'user.93737',
      });
      expect(b.personId).toBe(a.personId);
      expect(c.personId).toBe(a.personId);
      expect(c.contact.username).toBe('@sheena');
    });

    it('creates distinct people for distinct users', async () => {
      const a = await resolveContact(store.db, { channel: 'whatsapp', address: '1', waId: '1' });
      const b = await resolveContact(store.db, { channel: 'whatsapp', address: '2', waId: '2' });
      expect(a.personId).not.toBe(b.personId);
    });
  });

  describe('outbox', () => {
    const item = (key: string) => ({
      idempotencyKey: key,
      kind: 'message' as const,
      channel: 'whatsapp',
      account: '1',
      recipient: '2',
      payload: { content: { type: 'text', text: 'x' } },
    });

    it('queues an idempotency key once', async () => {
      expect(await enqueueOutbox(store.db, [item('k1'), item('k1')])).toEqual([true, false]);
    });

    it('parks an expired send as unknown, then reconciles it from a status callback', async () => {
      await enqueueOutbox(store.db, [item('k1')], 0);
      const [row] = await claimOutbox(
        store.db,
        (await store.db.selectFrom('outbox').select('id').execute()).map((r) => r.id),
        'w',
        100,
        0,
      );
      expect(row?.state).toBe('sending');
      await recoverExpiredLeases(store.db, 5000, 200);
      let r = await store.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
      expect(r.state).toBe('unknown');
      expect(await reconcileByCallback(store.db, 'k1', 'wamid.X', 300)).toBeDefined();
      r = await store.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
      expect(r).toMatchObject({ state: 'sent', provider_message_id: 'wamid.X' });
    });

    it('sends an unknown item again once the grace period passes without proof', async () => {
      await enqueueOutbox(store.db, [item('k1')], 0);
      const ids = (await store.db.selectFrom('outbox').select('id').execute()).map((r) => r.id);
      await claimOutbox(store.db, ids, 'w', 100, 0);
      await recoverExpiredLeases(store.db, 5000, 200);
      await recoverExpiredLeases(store.db, 5000, 5300);
      const r = await store.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
      expect(r.state).toBe('pending');
    });
  });
});
