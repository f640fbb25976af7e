/**
 * Citations: the model is asked to end its answer with `[sources: id1, id2]`. Models follow that loosely
 * (translated keyword, no brackets, markdown bold, ids inline as `[id]`), so parsing accepts those forms,
 * keeps only ids that were actually provided, and strips every citation from the text the person sees.
 */

/** The line the model is asked to end with; the parser accepts looser variants. */
export const CITATION_EXAMPLE = '[sources: id1, id2]';

// "sources" as models write it, sometimes in the person's language (fr, es, pt, de).
const KEYWORD = String.raw`(?:sources?|r[ée]f[ée]rences?|fuentes?|fontes?|quellen?)`;
/** `[sources: a, b]` or `(sources: a, b)`, anywhere in the text. */
const BRACKETED = new RegExp(String.raw`[ \t]*[\[(][ \t*_]*${KEYWORD}[ \t*_]*:([^\])\n]*)[\])]`, 'giu');
/** A line of its own: `Sources: a, b`, `**Sources:** a`, `- sources: a`. */
const LINE = new RegExp(String.raw`^[ \t>*_-]*${KEYWORD}[ \t*_]*:(.*)$`, 'gimu');
/** `[a]` or `[a, b]` inline: a citation only when every token is a provided id. */
const INLINE = /[ \t]*\[([^[\]\n]{1,200})\]/gu;

/** What the parser found in an answer. */
export interface ParsedCitations {
  /** The answer without any citation, ready to show. */
  text: string;
  /** Provided ids the answer cites, in citation order, without duplicates. */
  sources: string[];
  /** Ids the model cited that were not provided (invented or mistyped): dropped, worth a log line. */
  invented: string[];
}

/** Splits a citation list into ids: `a, b; c` / `` `a` `` / `"a"` / `#a`. */
function idsIn(list: string): string[] {
  return list
    .split(/[\s,;]+/u)
    .map((t) => t.replace(/^[`'"*#[(]+|[`'"*.)\]]+$/gu, ''))
    .filter((t) => t.length > 0);
}

/**
 * Extracts and strips citations. `provided` are the ids of the entries put in the prompt; matching is
 * case-insensitive and returns the provided spelling.
 */
export function parseCitations(answer: string, provided: readonly string[]): ParsedCitations {
  const byLower = new Map(provided.map((id) => [id.toLowerCase(), id]));
  const sources: string[] = [];
  const invented: string[] = [];
  const cite = (tokens: string[]) => {
    for (const t of tokens) {
      const id = byLower.get(t.toLowerCase());
      if (id === undefined) {
        if (!invented.includes(t)) invented.push(t);
      } else if (!sources.includes(id)) sources.push(id);
    }
  };
  let text = answer.replace(BRACKETED, (_m, list: string) => {
    cite(idsIn(list));
    return '';
  });
  text = text.replace(LINE, (_m, list: string) => {
    cite(idsIn(list));
    return '';
  });
  text = text.replace(INLINE, (m, list: string) => {
    const tokens = idsIn(list);
    if (tokens.length === 0 || !tokens.every((t) => byLower.has(t.toLowerCase()))) return m;
    cite(tokens);
    return '';
  });
  return { text: tidy(text), sources, invented };
}

/** Blank lines left behind by a stripped citation line; surrounding whitespace. */
function tidy(text: string): string {
  return text.replace(/\n[ \t]*\n(?:[ \t]*\n)+/gu, '\n\n').trim();
}

/** How long an unclosed `[`/`(` may hold the stream back before it is shown as plain text. */
const HOLD_LIMIT = 200;

/**
 * The visible part of a partial answer: citations stripped, and any tail that may still become one held
 * back (an unclosed bracket, or a last line that could be the start of `Sources:`).
 */
function visiblePart(partial: string, provided: readonly string[]): string {
  let cut = partial.length;
  const lineStart = partial.lastIndexOf('\n') + 1;
  const lastLine = partial
    .slice(lineStart)
    .replace(/^[ \t>*_-]*/u, '')
    .toLowerCase();
  if (lastLine.length > 0 && KEYWORD_PREFIXES.some((k) => k.startsWith(lastLine) || lastLine.startsWith(k))) {
    cut = lineStart;
  }
  const open = Math.max(partial.lastIndexOf('['), partial.lastIndexOf('('));
  if (open >= 0 && open < cut && partial.length - open <= HOLD_LIMIT && !/[\])]/u.test(partial.slice(open))) {
    cut = open;
  }
  // Trimmed like the final text: trailing whitespace is shown once text follows it, never before.
  return parseCitations(partial.slice(0, cut), provided).text;
}

const KEYWORD_PREFIXES = ['sources', 'source', 'références', 'references', 'fuentes', 'fontes', 'quellen'];

/**
 * Turns raw model deltas into deltas safe to show: citations never appear, not even for a moment.
 * Text is only ever appended (a held-back tail is released later, never retracted), so a client can
 * concatenate the deltas. The final answer (after checks) stays authoritative.
 */
export class CitationStreamFilter {
  private raw = '';
  private shown = '';

  constructor(private readonly provided: readonly string[]) {}

  /** Feeds one raw delta; returns the text that may now be shown (possibly empty). */
  push(delta: string): string {
    this.raw += delta;
    return this.advance(visiblePart(this.raw, this.provided));
  }

  /** The remaining visible text once the stream ended, given the final text shown to the person. */
  end(finalText: string): string {
    return this.advance(finalText);
  }

  /** Everything shown so far. */
  get text(): string {
    return this.shown;
  }

  private advance(visible: string): string {
    if (!visible.startsWith(this.shown) || visible.length === this.shown.length) return '';
    const delta = visible.slice(this.shown.length);
    this.shown = visible;
    return delta;
  }
}
