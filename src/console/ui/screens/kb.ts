/**
 * The knowledge base: the entries the assistant answers from, searchable, and a "try a question" box
 * that shows what the matcher would decide and its top candidates with their confidence.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, query } from '../api.ts';
import { ErrorNote, Loading, ScreenTitle } from '../components/bits.ts';
import { ConfidenceBar } from '../components/charts.ts';
import { decisionText, languageName } from '../format.ts';
import type { KbEntry, KbTry } from '../types.ts';
import { useLoad } from '../use-load.ts';

export function KnowledgeBase({ initialQuery }: { initialQuery: string }) {
  const [search, setSearch] = useState(initialQuery);
  const [q, setQ] = useState(initialQuery);
  useEffect(() => {
    setSearch(initialQuery);
    setQ(initialQuery);
  }, [initialQuery]);
  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const entries = useLoad(
    (signal) => api<{ entries: KbEntry[] }>('GET', `/kb${query({ q })}`, { signal }).then((r) => r.entries),
    [q],
  );

  return h(
    'div',
    { class: 'kb' },
    h(ScreenTitle, { title: 'Knowledge base' }),
    h(TryQuestion, null),
    h(
      'section',
      { 'aria-labelledby': 'kb-entries-title', class: 'panel' },
      h('h2', { id: 'kb-entries-title' }, 'Entries'),
      h(
        'form',
        { role: 'search', class: 'filters', onSubmit: (e: Event) => e.preventDefault() },
        h(
          'div',
          { class: 'field inline grow' },
          h('label', { for: 'kb-search' }, 'Search entries'),
          h('input', {
            id: 'kb-search',
            type: 'search',
            value: search,
            placeholder: 'An id, a question, a word of an answer…',
            onInput: (e: Event) => setSearch((e.currentTarget as HTMLInputElement).value),
          }),
        ),
      ),
      h(ErrorNote, { text: entries.error }),
      entries.data === undefined && !entries.error ? h(Loading, { what: 'entries' }) : null,
      h('p', { class: 'muted', role: 'status' }, entries.data ? `${entries.data.length} entries` : ''),
      h(
        'ul',
        { class: 'entries' },
        (entries.data ?? []).map((e) =>
          h(
            'li',
            { key: e.id, class: 'entry' },
            h(
              'h3',
              null,
              h('code', null, e.id),
              e.language
                ? h('span', { class: 'lang', title: languageName(e.language) }, e.language.toUpperCase())
                : null,
              (e.tags ?? []).map((t) => h('span', { key: t, class: 'tag' }, t)),
            ),
            h('p', { class: 'answer' }, e.answer),
            h(
              'details',
              null,
              h(
                'summary',
                null,
                `${e.questions.length} example question${e.questions.length === 1 ? '' : 's'}`,
              ),
              h(
                'ul',
                { class: 'questions' },
                e.questions.map((qq, i) => h('li', { key: i }, qq)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function TryQuestion() {
  const [text, setText] = useState('');
  const [result, setResult] = useState<(KbTry & { asked: string }) | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      const r = await api<KbTry>('POST', '/kb/try', { body: { text } });
      setResult({ ...r, asked: text });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return h(
    'section',
    { 'aria-labelledby': 'kb-try-title', class: 'panel try' },
    h('h2', { id: 'kb-try-title' }, 'Try a question'),
    h(
      'form',
      { onSubmit: submit, class: 'try-form' },
      h('label', { for: 'kb-try' }, 'Question, as a customer would write it'),
      h(
        'div',
        { class: 'row' },
        h('input', {
          id: 'kb-try',
          value: text,
          placeholder: 'When are you open?',
          onInput: (e: Event) => setText((e.currentTarget as HTMLInputElement).value),
        }),
        h(
          'button',
          { type: 'submit', class: 'primary', disabled: busy || !text.trim() },
          busy ? 'Trying…' : 'Try',
        ),
      ),
    ),
    h(ErrorNote, { text: error }),
    h(
      'div',
      { role: 'status', 'aria-live': 'polite', class: 'try-result' },
      result
        ? [
            h(
              'p',
              { key: 'd' },
              h('span', { class: 'decision' }, decisionText(result.decision)),
              result.language ? h('span', { class: 'muted' }, ` · ${languageName(result.language)}`) : null,
              h('span', { class: 'muted' }, ` · “${result.asked}”`),
            ),
            result.candidates.length
              ? h(
                  'ol',
                  { key: 'c', class: 'candidates', 'aria-label': 'Top candidates' },
                  result.candidates.map((c) =>
                    h(
                      'li',
                      { key: c.id },
                      h('code', { class: 'cand-id' }, c.id),
                      h(ConfidenceBar, { value: c.confidence, label: `Confidence for ${c.id}` }),
                      c.answer ? h('p', { class: 'muted cand-answer' }, c.answer) : null,
                    ),
                  ),
                )
              : h('p', { key: 'n', class: 'muted' }, 'No candidate.'),
            result.thresholds
              ? h(
                  'p',
                  { key: 't', class: 'muted thresholds' },
                  `Out of scope below ${result.thresholds.scope.toFixed(3)}, direct answer from ${result.thresholds.answer.toFixed(3)} (${result.thresholds.source}).`,
                )
              : null,
          ]
        : null,
    ),
  );
}
