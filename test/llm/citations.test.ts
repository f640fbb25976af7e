import { describe, expect, it } from 'vitest';
import { CitationStreamFilter, parseCitations } from '../../src/assistant/llm/citations.ts';

const IDS = ['opening-hours', 'delivery', 'returns'];

describe('parseCitations', () => {
  it.each([
    ['We open at 9.\n[sources: opening-hours, delivery]', ['opening-hours', 'delivery']],
    ['We open at 9. [sources: opening-hours]', ['opening-hours']],
    ['We open at 9.\nSources: opening-hours', ['opening-hours']],
    ['We open at 9.\n**Sources:** `opening-hours`, `delivery`', ['opening-hours', 'delivery']],
    ['We open at 9.\n(source: OPENING-HOURS)', ['opening-hours']],
    ['Nous ouvrons à 9 h.\n[références : opening-hours]', ['opening-hours']],
    ['Abrimos a las 9.\nFuentes: opening-hours', ['opening-hours']],
    ['We open at 9 [opening-hours].', ['opening-hours']],
  ])('reads and strips %j', (answer, sources) => {
    const parsed = parseCitations(answer, IDS);
    expect(parsed.sources).toEqual(sources);
    expect(parsed.text).toMatch(/^(We open at 9\.|Nous ouvrons à 9 h\.|Abrimos a las 9\.)$/);
  });

  it('drops ids that were not provided, and reports them', () => {
    expect(parseCitations('Yes.\n[sources: delivery, free-bikes, delivery]', IDS)).toEqual({
      text: 'Yes.',
      sources: ['delivery'],
      invented: ['free-bikes'],
    });
  });

  it('leaves brackets that are not citations alone', () => {
    const text = 'Sizes [S, M, L] are in stock.';
    expect(parseCitations(text, IDS)).toEqual({ text, sources: [], invented: [] });
  });

  it('finds nothing in an answer that ignored the instruction', () => {
    expect(parseCitations('We open at 9.', IDS)).toEqual({
      text: 'We open at 9.',
      sources: [],
      invented: [],
    });
  });
});

describe('CitationStreamFilter', () => {
  function run(raw: string, size: number): string[] {
    const filter = new CitationStreamFilter(IDS);
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += size) {
      const d = filter.push(raw.slice(i, i + size));
      if (d) out.push(d);
    }
    const rest = filter.end(parseCitations(raw, IDS).text);
    if (rest) out.push(rest);
    return out;
  }

  it.each([1, 3, 7, 50])('never shows a citation, whatever the chunk size (%i)', (size) => {
    for (const raw of [
      'We open at 9 (Mon–Sat).\n\n[sources: opening-hours]',
      'We open at 9.\nSources: opening-hours, delivery',
      'We open at 9 [opening-hours], deliver fast [delivery].',
    ]) {
      const deltas = run(raw, size);
      const shown = deltas.join('');
      expect(shown).toBe(parseCitations(raw, IDS).text);
      expect(deltas.every((d) => !/sources|opening-hours|\[/i.test(d))).toBe(true);
    }
  });

  it('releases an unclosed bracket that turned out to be prose', () => {
    const filter = new CitationStreamFilter(IDS);
    expect(filter.push('Open (Mon')).toBe('Open');
    expect(filter.push('–Sat) daily')).toBe(' (Mon–Sat) daily');
  });
});
