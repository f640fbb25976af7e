import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOperator,
  createSession,
  disableOperator,
  hashPassword,
  prepareSignIn,
  sessionFor,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  signIn,
  verifyPassword,
} from '../../src/console/server/auth.ts';
import {
  HandoffConflict,
  handoffOf,
  queueHandoff,
  releaseHandoff,
  takeHandoff,
} from '../../src/handoff/handoff.ts';
import { mergePeople } from '../../src/identity/merge.ts';
import { resolveContact } from '../../src/store/people.ts';
import { DIALECTS, openTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;
const T0 = 1_790_000_000_000;

describe('passwords', () => {
  it('are scrypt hashes with their own salt, verified in constant time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
  });
});

describe.each(DIALECTS)('%s', (dialect) => {
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.close());

  it('sessions slide while used, end after 7 days at most, and die with a disabled account', async () => {
    const op = await createOperator(
      store.db,
      { username: 'ada', password: 'correct horse battery', role: 'admin' },
      T0,
    );
    const s = await createSession(store.db, op.id, T0);
    expect((await sessionFor(store.db, s.token, T0 + 1000))?.operator.username).toBe('ada');
    expect(await sessionFor(store.db, 'forged', T0)).toBeUndefined();
    // Used every 11 hours, it lives on; never past 7 days.
    let t = T0;
    for (let i = 0; i < 14; i++) {
      t += SESSION_IDLE_MS - 3_600_000;
      const alive = await sessionFor(store.db, s.token, t);
      expect(alive !== undefined).toBe(t - T0 < SESSION_MAX_MS);
    }
    const idle = await createSession(store.db, op.id, T0);
    expect(await sessionFor(store.db, idle.token, T0 + SESSION_IDLE_MS + 1)).toBeUndefined();
    const fresh = await createSession(store.db, op.id, T0);
    await disableOperator(store.db, 'ada', T0 + 1);
    expect(await sessionFor(store.db, fresh.token, T0 + 2)).toBeUndefined();
    expect(await signIn(store.db, 'ada', 'correct horse battery', T0 + 3)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('locks a username after five wrong passwords for 15 minutes', async () => {
    await createOperator(store.db, { username: 'ada', password: 'correct horse battery', role: 'admin' }, T0);
    for (let i = 0; i < 4; i++)
      expect(await signIn(store.db, 'ada', 'nope', T0 + i)).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn(store.db, 'ADA', 'nope', T0 + 5)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await signIn(store.db, 'ada', 'correct horse battery', T0 + 10)).toMatchObject({
      reason: 'locked',
    });
    expect(await signIn(store.db, 'ada', 'correct horse battery', T0 + 15 * 60_000 + 10)).toMatchObject({
      ok: true,
    });
    // An unknown username answers like a wrong password.
    expect(await signIn(store.db, 'nobody', 'nope', T0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('checks unknown usernames against one scrypt hash, made before the first sign-in needs it', async () => {
    // The console routes start it when they are registered; every unknown username then uses it.
    const ready = prepareSignIn();
    expect(prepareSignIn()).toBe(ready);
    const dummy = await ready;
    expect(dummy).toMatch(/^scrypt\$\d+\$\d+\$\d+\$/);
    // Nobody's password matches it.
    expect(await verifyPassword('', dummy)).toBe(false);
  });

  it('queues once, is taken by one agent at a time, released by them (or an admin)', async () => {
    const p = await resolveContact(store.db, { channel: 'whatsapp', address: '33611111111' });
    expect(
      await queueHandoff(store.db, { personId: p.personId, channel: 'whatsapp', reason: 'person_asked' }, T0),
    ).toBe(true);
    expect(
      await queueHandoff(store.db, { personId: p.personId, channel: 'whatsapp', reason: 'person_asked' }, T0),
    ).toBe(false);
    expect(
      await takeHandoff(store.db, { personId: p.personId, operatorId: 'op-a', channel: 'whatsapp' }, T0 + 1),
    ).toEqual({
      changed: true,
    });
    await expect(
      takeHandoff(store.db, { personId: p.personId, operatorId: 'op-b', channel: 'whatsapp' }),
    ).rejects.toThrow(HandoffConflict);
    await expect(releaseHandoff(store.db, { personId: p.personId, operatorId: 'op-b' })).rejects.toThrow(
      HandoffConflict,
    );
    expect(await handoffOf(store.db, p.personId)).toMatchObject({ state: 'assigned', operator_id: 'op-a' });
    expect(await releaseHandoff(store.db, { personId: p.personId, operatorId: 'op-b', force: true })).toEqual(
      {
        changed: true,
      },
    );
    expect(await handoffOf(store.db, p.personId)).toBeUndefined();
    // Taken without a request: an agent steps in on their own.
    await takeHandoff(store.db, { personId: p.personId, operatorId: 'op-b', channel: 'whatsapp' });
    expect(await handoffOf(store.db, p.personId)).toMatchObject({ state: 'assigned', reason: 'operator' });
  });

  it('follows a merge: the person who asked is still waiting after linking', async () => {
    const wa = await resolveContact(store.db, { channel: 'whatsapp', address: '33611111111' });
    const tg = await resolveContact(store.db, { channel: 'telegram', address: '4242' });
    await queueHandoff(store.db, { personId: tg.personId, channel: 'telegram', reason: 'person_asked' });
    await mergePeople(store.db, { into: wa.personId, from: tg.personId });
    expect(await handoffOf(store.db, wa.personId)).toMatchObject({ state: 'queued', channel: 'telegram' });
    expect(await handoffOf(store.db, tg.personId)).toBeUndefined();
  });
});
