import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyStatus } from '../../src/outbox/statuses.ts';
import { settleSentIn } from '../../src/outbox/settle.ts';
import { claimOutbox, enqueueOutbox } from '../../src/store/outbox.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;

describe.each(DIALECTS)('%s: a status proves a send its sender never settled', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('settles an item still under a live lease (its sender died after the API accepted it)', async () => {
    await enqueueOutbox(store.db, [
      {
        idempotencyKey: 'reply:abc:0',
        kind: 'message',
        channel: 'whatsapp',
        account: '1065',
        recipient: '33611111111',
        payload: { content: { type: 'text', text: 'We open at 9.' } },
      },
    ]);
    const [row] = await store.db.selectFrom('outbox').selectAll().execute();
    const [leased] = await claimOutbox(store.db, [row!.id], 'worker-that-dies', 60_000);
    expect(leased).toMatchObject({ state: 'sending' });
    // The provider's status arrives (through another process) while the lease is still live.
    await store.db.transaction().execute((trx) =>
      applyStatus(trx, {
        kind: 'status',
        channel: 'whatsapp',
        account: '1065',
        dedupeKey: 'status:wamid.1:sent',
        orderingKey: 'whatsapp:1065:33611111111',
        timestamp: Date.now(),
        providerMessageId: 'wamid.1',
        status: 'sent',
        recipient: { address: '33611111111' },
        callbackData: 'reply:abc:0',
      }),
    );
    const [after] = await store.db.selectFrom('outbox').selectAll().execute();
    expect(after).toMatchObject({ state: 'sent', provider_message_id: 'wamid.1', lease_owner: null });
    // Had the sender lived, its own settle finds the item settled and leaves it.
    const settled = await store.db.transaction().execute((trx) =>
      settleSentIn(trx, 'worker-that-dies', leased!, [], 'wamid.1', {
        type: 'text',
        text: 'We open at 9.',
      }),
    );
    expect(settled).toBe(false);
  });
});
