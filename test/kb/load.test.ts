import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KbError, loadKnowledgeBase, SAMPLE_KB } from '../../src/assistant/kb/load.ts';
import { answerIn } from '../../src/assistant/kb/schema.ts';
import { KbSource } from '../../src/assistant/kb/source.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'passerelle-kb-'));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof KbError) return err.problems;
    throw err;
  }
  throw new Error('expected a KbError');
}

const md = (q: string[], answer: string, front = '') =>
  `${front ? `---\n${front}\n---\n` : ''}## Questions\n${q.map((x) => `- ${x}`).join('\n')}\n\n## Answer\n${answer}\n`;

describe('knowledge base loading', () => {
  it('loads the bundled sample business in four languages', () => {
    const kb = loadKnowledgeBase(SAMPLE_KB);
    expect(kb.business).toBe('Lumen Cycles');
    expect(kb.entries.length).toBeGreaterThanOrEqual(10);
    for (const e of kb.entries) expect(Object.keys(e.translations ?? {}).sort()).toEqual(['es', 'fr', 'pt']);
    const hours = kb.entries.find((e) => e.id === 'opening-hours')!;
    expect(answerIn(hours, 'fr').text).toMatch(/^Nous sommes ouverts/);
    expect(answerIn(hours, 'de').text).toMatch(/^We are open/);
  });

  it('reads a Markdown folder: id from the file name, front matter, questions, answer and translations', () => {
    const d = dir();
    writeFileSync(
      join(d, 'hours.md'),
      md(['When are you open?'], 'Always.', 'tags: [store]') + '\n## Answer (fr)\nToujours.\n',
    );
    const kb = loadKnowledgeBase(d);
    expect(kb.entries).toEqual([
      {
        id: 'hours',
        tags: ['store'],
        questions: ['When are you open?'],
        answer: 'Always.',
        translations: { fr: 'Toujours.' },
      },
    ]);
  });

  it('reads JSON (the PRODUCT.md form) and YAML files', () => {
    const d = dir();
    const json = join(d, 'kb.json');
    writeFileSync(
      json,
      JSON.stringify({
        entries: [{ id: 'opening-hours', questions: ['when are you open?'], answer: '9–18, Mon–Sat' }],
      }),
    );
    expect(loadKnowledgeBase(json).entries[0]!.answer).toBe('9–18, Mon–Sat');
    const yaml = join(d, 'kb.yaml');
    writeFileSync(
      yaml,
      'language: fr\nentries:\n  - id: horaires\n    questions: [quand ouvrez-vous ?]\n    answer: De 9 h à 18 h.\n',
    );
    expect(loadKnowledgeBase(yaml)).toMatchObject({ language: 'fr', entries: [{ id: 'horaires' }] });
  });

  it('names the file, the entry and the problem, listing every problem at once', () => {
    const d = dir();
    const f = join(d, 'kb.json');
    writeFileSync(
      f,
      JSON.stringify({
        entries: [
          { id: 'ok', questions: ['q'], answer: 'a' },
          { id: 'no-questions', questions: [], answer: 'a' },
          { id: 'bad id!', questions: ['q'], answer: '' },
        ],
      }),
    );
    expect(problems(() => loadKnowledgeBase(f))).toEqual([
      `${f}: entry 1 ("no-questions") field questions: expected at least one example question`,
      `${f}: entry 2 ("bad id!") field id: expected an id of letters, digits, ".", "_" or "-"`,
      `${f}: entry 2 ("bad id!") field answer: expected a non-empty answer`,
    ]);
  });

  it('refuses duplicate ids, naming both places', () => {
    const d = dir();
    writeFileSync(join(d, 'a.md'), md(['q'], 'a', 'id: same'));
    writeFileSync(join(d, 'b.md'), md(['q'], 'b', 'id: same'));
    expect(problems(() => loadKnowledgeBase(d))[0]).toMatch(
      /b\.md: entry "same": duplicate id "same" \(also in .*a\.md/,
    );
  });

  it('explains a Markdown entry without an answer or questions, and bad front matter', () => {
    const d = dir();
    writeFileSync(join(d, 'a.md'), '## Questions\n- q\n');
    writeFileSync(join(d, 'b.md'), '## Answer\nyes\n');
    writeFileSync(join(d, 'c.md'), '---\n: : :\n---\n## Questions\n- q\n## Answer\na\n');
    const p = problems(() => loadKnowledgeBase(d));
    expect(p[0]).toMatch(/a\.md: entry "a": missing a "## Answer" section/);
    expect(p[1]).toMatch(/b\.md: entry "b": missing a "## Questions" section/);
    expect(p[2]).toMatch(/c\.md: front matter:/);
  });

  it('reads how strictly to decline out-of-scope messages, from kb.yaml or the file, and explains bad values', () => {
    const d = dir();
    writeFileSync(join(d, 'hours.md'), md(['When are you open?'], 'Always.'));
    writeFileSync(join(d, 'kb.yaml'), 'business: Shop\noutOfScope:\n  minRecall: 0.6\n');
    expect(loadKnowledgeBase(d)).toMatchObject({ business: 'Shop', outOfScope: { minRecall: 0.6 } });
    const json = join(d, 'kb.json');
    const entries = [{ id: 'a', questions: ['q'], answer: 'a' }];
    writeFileSync(json, JSON.stringify({ outOfScope: { share: 0.1 }, entries }));
    expect(loadKnowledgeBase(json).outOfScope).toEqual({ share: 0.1 });
    writeFileSync(json, JSON.stringify({ entries }));
    expect(loadKnowledgeBase(json).outOfScope).toBeUndefined();

    writeFileSync(json, JSON.stringify({ outOfScope: { share: 0.1, minRecall: 0.5 }, entries }));
    expect(problems(() => loadKnowledgeBase(json))).toEqual([
      `${json}: outOfScope: expected either share or minRecall, not both`,
    ]);
    writeFileSync(json, JSON.stringify({ outOfScope: { share: 1.5 }, entries }));
    expect(problems(() => loadKnowledgeBase(json))[0]).toMatch(
      /kb\.json: outOfScope\.share: expected the share of off-topic traffic: a number between 0 and 1 \(exclusive\)$/,
    );
    writeFileSync(join(d, 'kb.yaml'), 'outOfScope:\n  minRecal: 0.6\n');
    expect(problems(() => loadKnowledgeBase(d))[0]).toMatch(/kb\.yaml: outOfScope: .*minRecal/);
    writeFileSync(join(d, 'kb.yaml'), 'language: english\n');
    expect(problems(() => loadKnowledgeBase(d))[0]).toMatch(/kb\.yaml: language: expected a language code/);
    // A misspelt or misplaced setting is an error, not silently ignored.
    writeFileSync(join(d, 'kb.yaml'), 'outofscope:\n  minRecall: 0.6\n');
    expect(problems(() => loadKnowledgeBase(d))[0]).toMatch(/kb\.yaml: \(root\): .*outofscope/);
    writeFileSync(join(d, 'kb.yaml'), 'minRecall: 0.6\n');
    expect(problems(() => loadKnowledgeBase(d))[0]).toMatch(/kb\.yaml: \(root\): .*minRecall/);
    writeFileSync(json, JSON.stringify({ outofscope: { share: 0.1 }, entries }));
    expect(problems(() => loadKnowledgeBase(json))[0]).toMatch(/kb\.json: \(root\): .*outofscope/);
    writeFileSync(json, JSON.stringify({ outOfScope: { examples: ['tell me a joke', ''] }, entries }));
    expect(problems(() => loadKnowledgeBase(json))[0]).toMatch(
      /kb\.json: outOfScope\.examples\.1: expected non-empty examples/,
    );
    writeFileSync(json, JSON.stringify({ outOfScope: { examples: 'tell me a joke' }, entries }));
    expect(problems(() => loadKnowledgeBase(json))[0]).toMatch(/outOfScope\.examples: expected a list/);
    writeFileSync(
      json,
      JSON.stringify({ outOfScope: { minRecall: 0.5, examples: ['tell me a joke'] }, entries }),
    );
    expect(loadKnowledgeBase(json).outOfScope).toEqual({ minRecall: 0.5, examples: ['tell me a joke'] });
    // Keys left empty count as absent, as before.
    writeFileSync(join(d, 'kb.yaml'), 'business:\nlanguage:\noutOfScope:\n');
    expect(loadKnowledgeBase(d)).toMatchObject({ language: 'en' });
    expect(loadKnowledgeBase(d).business).toBeUndefined();
    writeFileSync(json, JSON.stringify({ $schema: './kb.schema.json', entries }));
    expect(loadKnowledgeBase(json).entries).toHaveLength(1);
  });

  it('explains a missing path, an empty folder and invalid JSON', () => {
    const d = dir();
    expect(problems(() => loadKnowledgeBase(join(d, 'nope')))[0]).toMatch(/no such file or folder/);
    mkdirSync(join(d, 'empty'));
    expect(problems(() => loadKnowledgeBase(join(d, 'empty')))[0]).toMatch(/no Markdown entries/);
    writeFileSync(join(d, 'bad.json'), '{"entries": [');
    expect(problems(() => loadKnowledgeBase(join(d, 'bad.json')))[0]).toMatch(/bad\.json: /);
  });
});

describe('reload', () => {
  it('serves the new version after a valid edit, without a restart', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.md'), md(['q'], 'first'));
    const src = new KbSource(d, (kb) => kb.entries.length);
    src.watch(30);
    try {
      writeFileSync(join(d, 'b.md'), md(['q2'], 'second'));
      await expect.poll(() => src.current().built, { timeout: 3000 }).toBe(2);
      expect(src.current().version).toBe(2);
    } finally {
      src.close();
    }
  });

  it('keeps serving the previous version when an edit is invalid, and reports why', () => {
    const d = dir();
    writeFileSync(join(d, 'a.md'), md(['q'], 'first'));
    const src = new KbSource(d, (kb) => kb.entries.map((e) => e.answer));
    writeFileSync(join(d, 'a.md'), '## Questions\n- q\n');
    expect(src.reload()).toBe(false);
    expect(src.current().built).toEqual(['first']);
    expect(src.lastError?.problems[0]).toMatch(/missing a "## Answer" section/);
  });

  it('keeps serving when building the new version throws', () => {
    const d = dir();
    writeFileSync(join(d, 'a.md'), md(['q'], 'first'));
    let n = 0;
    const src = new KbSource(d, () => {
      if (++n > 1) throw new Error('matcher training failed');
      return n;
    });
    expect(src.reload()).toBe(false);
    expect(src.current().built).toBe(1);
    expect(src.lastError?.message).toBe('matcher training failed');
  });
});
