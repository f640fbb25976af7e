import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerSunset } from '../../src/cli/sunset.ts';
import { conversationFor, resolveContact } from '../../src/store/people.ts';
import { openTestStore, type TestStore } from '../helpers/db.ts';
import { runCli } from '../helpers/cli.ts';

// `passerelle sunset` through commander: start, list, report, cancel, and the errors a user meets.

let store: TestStore;
let configFile: string;

const run = (...args: string[]) => runCli(registerSunset, configFile, [...args]);

const future = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

beforeEach(async () => {
  store = await openTestStore('sqlite', { file: true });
  configFile = join(mkdtempSync(join(tmpdir(), 'passerelle-sunset-cli-')), 'config.json');
  writeFileSync(configFile, JSON.stringify({ DATABASE_URL: store.database.url }));
  for (const waId of ['33611111111', '33622222222']) {
    const c = await resolveContact(store.db, { channel: 'whatsapp', address: waId, waId });
    await conversationFor(store.db, { ...c, channel: 'whatsapp', account: '1065', isNewContact: true });
  }
});
afterEach(() => store.close());

describe('passerelle sunset', () => {
  it('starts a campaign, lists its progress, refuses a second one, reports only after the date, cancels', async () => {
    const r = await run(
      'sunset',
      'whatsapp',
      '--date',
      future,
      '--to',
      'telegram,webchat',
      '--template',
      'channel_sunset:en',
    );
    expect(r.code).toBeUndefined();
    expect(r.out).toMatch(/Sunset campaign \S+ started: 2 people on whatsapp/);
    const id = /campaign (\S+) started/.exec(r.out)![1]!;

    const list = await run('sunset', '--list');
    expect(list.out).toContain(
      `Campaign ${id}: whatsapp closes ${future}T00:00:00.000Z → telegram, webchat (active)`,
    );
    expect(list.out).toContain('2 people: pending 2');

    const again = await run('sunset', 'whatsapp', '--date', future, '--to', 'webchat');
    expect(again.code).toBe(2);
    expect(again.err).toContain('already running');

    const early = await run('sunset', '--report', id);
    expect(early.code).toBe(1);
    expect(early.err).toContain('has not finished yet');

    const cancelled = await run('sunset', '--cancel', id);
    expect(cancelled.out).toContain(`Campaign ${id} cancelled`);
    expect((await run('sunset', '--cancel', id)).err).toContain('is cancelled, not active');
  });

  it('names the option at fault', async () => {
    expect((await run('sunset', 'whatsapp', '--date', 'next week', '--to', 'webchat')).err).toContain(
      '--date: expected a date',
    );
    expect((await run('sunset', 'whatsapp', '--date', '2020-01-01', '--to', 'webchat')).err).toContain(
      'date: expected a date in the future',
    );
    expect((await run('sunset', 'whatsapp', '--date', future)).err).toContain(
      '--to: expected at least one channel',
    );
    expect((await run('sunset', 'whatsapp', '--date', future, '--to', 'whatsapp')).err).toContain(
      'cannot move people to whatsapp',
    );
    expect((await run('sunset', 'whatsapp', '--date', future, '--to', 'fax')).err).toContain('--to');
    expect(
      (await run('sunset', 'whatsapp', '--date', future, '--to', 'webchat', '--remind-every', 'often')).err,
    ).toContain('--remind-every');
    expect(
      (await run('sunset', 'whatsapp', '--date', future, '--to', 'webchat', '--template', 'nolang')).err,
    ).toContain('--template');
    const none = await run('sunset');
    expect(none.code).toBe(2);
    expect(none.err).toContain('Give the channel');
    expect((await run('sunset', '--report', 'nope')).err).toContain('no campaign nope');
  });
});
