import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { KbError, loadKnowledgeBase } from '../assistant/kb/load.ts';
import { evaluate } from '../assistant/kb/eval.ts';
import type { EvalQuery, KbMetrics } from '../assistant/kb/eval.ts';
import { buildMatcher, matcherOptionsFor } from '../assistant/kb/matcher.ts';
import { OutOfScopeSchema } from '../assistant/kb/schema.ts';

/** Bad input to `kb eval` (missing file, bad query line, unknown entry id): exit code 2. */
export class KbEvalInputError extends Error {
  override name = 'KbEvalInputError';
}

const QueryLine = z.object({
  text: z.string().min(1, 'expected a non-empty "text"'),
  expected: z.union([z.string().min(1), z.null()], {
    message: 'expected "expected" to be an entry id or null',
  }),
});

/**
 * Parses a JSONL query file (PRODUCT.md contract: `{"text":"…","expected":"entry-id"}` or
 * `{"expected":null}` for out of scope). Blank lines are skipped; every problem names its line.
 */
export function parseQueries(source: string, file: string, ids: ReadonlySet<string>): EvalQuery[] {
  const queries: EvalQuery[] = [];
  const problems: string[] = [];
  source.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (err) {
      problems.push(`${where}: invalid JSON (${(err as Error).message})`);
      return;
    }
    const parsed = QueryLine.safeParse(data);
    if (!parsed.success) {
      problems.push(`${where}: ${parsed.error.issues.map((x) => x.message).join('; ')}`);
      return;
    }
    const { text, expected } = parsed.data;
    if (expected !== null && !ids.has(expected)) problems.push(`${where}: unknown entry id "${expected}"`);
    else queries.push({ text, expected });
  });
  if (problems.length) throw new KbEvalInputError(problems.slice(0, 20).join('\n'));
  if (!queries.length) throw new KbEvalInputError(`${file}: no queries`);
  return queries;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new KbEvalInputError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/** The readable form of the metrics (without `--json`). */
export function renderMetrics(m: KbMetrics): string {
  const rows: [string, string][] = [
    ['queries', `${m.queries} (${m.inScope} in scope, ${m.outOfScope} out of scope)`],
    ['in-scope accuracy', pct(m.inScopeAccuracy)],
    ['out-of-scope recall', pct(m.oosRecall)],
    ['out-of-scope precision', pct(m.oosPrecision)],
    ['macro-F1', pct(m.macroF1)],
    ['recall@1 / @3', `${pct(m.recallAt1)} / ${pct(m.recallAt3)}`],
    ['MRR', m.mrr === null ? '—' : m.mrr.toFixed(3)],
    [
      'decisions',
      `${m.decisions.answer} answer, ${m.decisions.choose} choose, ${m.decisions.out_of_scope} out of scope`,
    ],
    ['latency p50 / p99', `${m.latencyMs.p50.toFixed(2)} / ${m.latencyMs.p99.toFixed(2)} ms`],
    ['index build', `${m.buildMs.toFixed(0)} ms (+ ${m.calibrationMs.toFixed(0)} ms calibration)`],
    ['thresholds', `scope ${m.thresholds.scope.toFixed(3)}, answer ${m.thresholds.answer.toFixed(3)}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Where `kb eval` writes; replaceable in tests. */
export interface KbIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: KbIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * `passerelle kb eval --kb FILE --queries FILE.jsonl [--json]`: builds the offline matcher for the KB
 * (calibrated as at start-up), runs every query and prints the metrics — one JSON object with `--json`
 * (PRODUCT.md contract), a table otherwise. Bad input exits with code 2 and says which file and line.
 */
export function registerKb(program: Command, io: KbIo = consoleIo): void {
  const kb = program.command('kb').description('Knowledge-base tools');
  kb.command('eval')
    .description('Evaluate the offline matcher on labelled queries (JSON Lines)')
    .requiredOption('--kb <path>', 'knowledge base: a folder of Markdown files or a JSON/YAML file')
    .requiredOption('--queries <file>', 'JSON Lines: {"text":"…","expected":"entry-id"} or {"expected":null}')
    .option('--json', 'print one JSON object of metrics')
    .option('--seed <n>', 'seed of training and calibration', '1')
    .option(
      '--oos-share <s>',
      "expected share of out-of-scope messages (instead of the KB's outOfScope setting)",
    )
    .option(
      '--min-oos-recall <r>',
      "decline at least this share of out-of-scope messages (instead of the KB's outOfScope setting)",
    )
    .action((opts: EvalOptions) => {
      try {
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed))
          throw new KbEvalInputError(`--seed: expected an integer, got "${opts.seed}"`);
        const base = withOutOfScope(loadKb(opts.kb), opts);
        const queries = parseQueries(
          readText(opts.queries),
          opts.queries,
          new Set(base.entries.map((e) => e.id)),
        );
        const matcher = buildMatcher(base, { ...matcherOptionsFor(base), seed });
        for (const warning of matcher.warnings) io.err(`warning: ${warning}`);
        const metrics = evaluate(matcher, queries);
        io.out(opts.json ? JSON.stringify(metrics) : renderMetrics(metrics));
      } catch (err) {
        if (!(err instanceof KbEvalInputError)) throw err;
        io.err(err.message);
        process.exitCode = 2;
      }
    });
}

interface EvalOptions {
  kb: string;
  queries: string;
  json?: boolean;
  seed: string;
  oosShare?: string;
  minOosRecall?: string;
}

/**
 * The KB with the objective of its `outOfScope` setting (share or floor) replaced by `--oos-share` or
 * `--min-oos-recall` when given; its own out-of-scope `examples` are kept.
 */
function withOutOfScope<T extends { outOfScope?: { examples?: string[] } }>(kb: T, opts: EvalOptions): T {
  if (opts.oosShare === undefined && opts.minOosRecall === undefined) return kb;
  const number = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new KbEvalInputError(`${flag}: expected a number between 0 and 1, got "${v}"`);
    return n;
  };
  const setting = {
    share: number('--oos-share', opts.oosShare),
    minRecall: number('--min-oos-recall', opts.minOosRecall),
  };
  const parsed = OutOfScopeSchema.safeParse(setting);
  if (!parsed.success) {
    const flag = (key: unknown) =>
      key === 'share' ? '--oos-share' : key === 'minRecall' ? '--min-oos-recall' : '';
    throw new KbEvalInputError(
      parsed.error.issues
        .map((i) =>
          i.path.length
            ? `${flag(i.path[0])}: ${i.message}`
            : '--oos-share and --min-oos-recall: expected one of them, not both',
        )
        .join('\n'),
    );
  }
  const examples = kb.outOfScope?.examples;
  return { ...kb, outOfScope: { ...parsed.data, ...(examples && { examples }) } };
}

function loadKb(path: string) {
  try {
    return loadKnowledgeBase(path);
  } catch (err) {
    if (err instanceof KbError) throw new KbEvalInputError(err.message);
    throw err;
  }
}
