import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerOperator } from '../../src/cli/operator.ts';
import { createOperator, signIn } from '../../src/console/server/auth.ts';
import { runCli } from '../helpers/cli.ts';
import { openTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;
let configFile: string;
const run = (...args: string[]) => runCli(registerOperator, configFile, args);

beforeEach(async () => {
  store = await openTestStore('sqlite', { file: true });
  configFile = join(mkdtempSync(join(tmpdir(), 'passerelle-operator-cli-')), 'config.json');
  writeFileSync(configFile, JSON.stringify({ DATABASE_URL: store.database.url }));
});
afterEach(() => store.close());

describe('passerelle operator', () => {
  it('lists accounts, disables one (its sign-in refused), and names bad options', async () => {
    expect((await run('operator', 'list')).out).toContain('No operators yet');
    await createOperator(store.db, {
      username: 'ada',
      password: 'correct horse battery',
      role: 'admin',
      displayName: 'Ada L.',
    });
    expect((await run('operator', 'list')).out).toBe('ada\tadmin\tAda L.');
    expect((await run('operator', 'disable', 'ada')).out).toBe('Operator ada disabled.');
    expect((await run('operator', 'list')).out).toBe('ada\tadmin\tAda L.\t(disabled)');
    expect(await signIn(store.db, 'ada', 'correct horse battery')).toMatchObject({ ok: false });
    const missing = await run('operator', 'disable', 'nobody');
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('no operator "nobody"');
    const role = await run('operator', 'add', 'bob', '--role', 'boss', '--password-stdin');
    expect(role.code).toBe(2);
    expect(role.err).toContain('--role: expected admin or agent');
  });
});
