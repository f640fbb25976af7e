import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerKb } from '../../src/cli/kb.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const KB = fixture('bakery.json');

/** Runs `kb eval …` through commander, as `passerelle` would, capturing output and the exit code. */
async function kbEval(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command().exitOverride();
  registerKb(program, { out: (t) => out.push(t), err: (t) => err.push(t) });
  process.exitCode = undefined;
  await program.parseAsync(['kb', 'eval', ...args], { from: 'user' });
  return { out: out.join('\n'), err: err.join('\n'), code: process.exitCode };
}

function queries(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'passerelle-kb-eval-')), 'q.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('passerelle kb eval', () => {
  it('prints one JSON object of metrics with --json', async () => {
    const file = queries([
      '{"text":"are you open on sunday","expected":"opening-hours"}',
      '{"text":"can I pay with cash","expected":"payment"}',
      '{"text":"what is the capital of peru","expected":null}',
    ]);
    const r = await kbEval('--kb', KB, '--queries', file, '--json');
    expect(r.code).toBeUndefined();
    const m = JSON.parse(r.out);
    expect(m).toMatchObject({ queries: 3, inScope: 2, outOfScope: 1 });
    for (const key of [
      'inScopeAccuracy',
      'oosRecall',
      'oosPrecision',
      'macroF1',
      'recallAt1',
      'recallAt3',
      'mrr',
    ])
      expect(m).toHaveProperty(key);
    expect(m.latencyMs).toHaveProperty('p99');
    expect(m.buildMs).toBeGreaterThan(0);
  });

  it('prints a readable table without --json', async () => {
    const r = await kbEval(
      '--kb',
      KB,
      '--queries',
      queries(['{"text":"do you take cards","expected":"payment"}']),
    );
    expect(r.out).toMatch(/in-scope accuracy\s+100\.0%/);
    expect(r.out).toMatch(/latency p50 \/ p99/);
  });

  it('exits with code 2 naming the file when the queries file is missing', async () => {
    const r = await kbEval('--kb', KB, '--queries', '/nonexistent/q.jsonl', '--json');
    expect(r.code).toBe(2);
    expect(r.err).toBe('/nonexistent/q.jsonl: no such file');
  });

  it('exits with code 2 naming the line of a bad JSON line', async () => {
    const file = queries(['{"text":"hi","expected":null}', '', '{"text": oops}']);
    const r = await kbEval('--kb', KB, '--queries', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${file}:3: invalid JSON`));
  });

  it('exits with code 2 on an expected id the KB does not have', async () => {
    const r = await kbEval('--kb', KB, '--queries', queries(['{"text":"hi","expected":"no-such-entry"}']));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/:1: unknown entry id "no-such-entry"/);
  });

  it('exits with code 2 when the KB cannot be loaded', async () => {
    const r = await kbEval(
      '--kb',
      '/nonexistent/kb.json',
      '--queries',
      queries(['{"text":"hi","expected":null}']),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/nonexistent\/kb\.json/);
  });

  it('takes a floor on out-of-scope recall or an expected share instead of the KB setting', async () => {
    const file = queries(['{"text":"are you open on sunday","expected":"opening-hours"}']);
    const floor = await kbEval('--kb', KB, '--queries', file, '--json', '--min-oos-recall', '0.5');
    expect(floor.code).toBeUndefined();
    expect(JSON.parse(floor.out).thresholds.source).toContain('out-of-scope recall >= 0.5');
    const share = await kbEval('--kb', KB, '--queries', file, '--json', '--oos-share', '0.05');
    expect(JSON.parse(share.out).thresholds.source).toContain('oosShare 0.05');
  });

  it('keeps the KB’s own out-of-scope examples when a flag replaces its share or floor', async () => {
    const kb = join(mkdtempSync(join(tmpdir(), 'passerelle-kb-own-')), 'kb.json');
    const bakery = JSON.parse(readFileSync(KB, 'utf8')) as object;
    const examples = ['who painted the mona lisa', 'how tall is mount everest', 'tell me about black holes'];
    writeFileSync(kb, JSON.stringify({ ...bakery, outOfScope: { share: 0.2, examples } }));
    const file = queries(['{"text":"are you open on sunday","expected":"opening-hours"}']);
    const withFlag = await kbEval('--kb', kb, '--queries', file, '--json', '--min-oos-recall', '0.5');
    const withoutFlag = await kbEval('--kb', KB, '--queries', file, '--json', '--min-oos-recall', '0.5');
    const count = (r: { out: string }) =>
      Number(/ (\d+) out-of-scope held-out messages/.exec(JSON.parse(r.out).thresholds.source)![1]);
    // Each example is scored once per fold: the KB's three examples are still there.
    expect(count(withFlag)).toBeGreaterThan(count(withoutFlag));
    expect(JSON.parse(withFlag.out).thresholds.source).toContain('out-of-scope recall >= 0.5');
  });

  it('exits with code 2 on a bad floor or share, or both at once', async () => {
    const file = queries(['{"text":"hi","expected":null}']);
    const bad = await kbEval('--kb', KB, '--queries', file, '--min-oos-recall', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('--min-oos-recall: expected a number between 0 and 1, got "lots"');
    const out = await kbEval('--kb', KB, '--queries', file, '--oos-share', '1');
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/^--oos-share: expected .* between 0 and 1 \(exclusive\)$/);
    const both = await kbEval('--kb', KB, '--queries', file, '--oos-share', '0.1', '--min-oos-recall', '0.5');
    expect(both.code).toBe(2);
    expect(both.err).toBe('--oos-share and --min-oos-recall: expected one of them, not both');
  });

  it('warns on stderr, and still evaluates, when the KB has no out-of-scope examples in its languages', async () => {
    // Dutch has no built-in out-of-scope sentences.
    const kb = join(mkdtempSync(join(tmpdir(), 'passerelle-kb-nl-')), 'kb.json');
    const entry = (id: string, questions: string[]) => ({ id, questions, answer: id });
    writeFileSync(
      kb,
      JSON.stringify({
        language: 'nl',
        entries: [
          entry('openingstijden', [
            'wanneer zijn jullie open',
            'wat zijn de openingstijden',
            'zijn jullie op zondag open',
            'tot hoe laat open',
          ]),
          entry('levering', [
            'bezorgen jullie aan huis',
            'hoe lang duurt de levering',
            'wat kost de verzending',
            'leveren jullie in het buitenland',
          ]),
          entry('betaling', [
            'kan ik met de kaart betalen',
            'nemen jullie contant geld aan',
            'betalen met paypal',
            'welke betaalmethodes zijn er',
          ]),
        ],
      }),
    );
    const r = await kbEval(
      '--kb',
      kb,
      '--queries',
      queries(['{"text":"bezorgen jullie in utrecht","expected":"levering"}']),
    );
    expect(r.code).toBeUndefined();
    expect(r.err).toMatch(
      /^warning: no out-of-scope examples in the KB's languages \(nl; built in: en, fr, es, pt, de, it\)/,
    );
    expect(r.out).toMatch(/in-scope accuracy/);
  });
});
