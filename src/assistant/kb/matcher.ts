import { DEFAULT_CALIBRATION, calibrate, crossValidate } from './calibrate.ts';
import type { Calibration, CalibrationOptions, HeldOutPoint, HeldOutSummary } from './calibrate.ts';
import { confidenceOf } from './calibrator.ts';
import type { CalibratorWeights } from './calibrator.ts';
import { DEFAULT_THRESHOLDS } from './decide.ts';
import type { Ranked, Thresholds } from './decide.ts';
import { LanguageDetector } from './language.ts';
import { DEFAULT_MODEL, EntryModel } from './model.ts';
import type { ModelOptions } from './model.ts';
import { GENERIC_OUT_OF_SCOPE } from './oos-sentences.ts';
import type { IndexedQuestion } from './retrieval.ts';

/**
 * The offline KB matcher: `buildMatcher()` learns everything from the KB's example questions at load
 * time (language profiles, TF-IDF features, a softmax classifier, nearest questions, a MiniSearch index)
 * and calibrates one confidence per candidate entry by cross-validation; `rank()` is the per-message
 * call, `decide()` (decide.ts) turns a ranking into answer / choose / out_of_scope. Method and the
 * threshold procedure: docs/kb-matcher.md.
 */

/** The part of a KB entry the matcher reads (the loader's `KbEntry` fits). */
export interface MatchableEntry {
  id: string;
  /** Example questions, in any of the KB's languages. */
  questions: readonly string[];
  /** Language of the answer (one of the KB's languages). */
  language?: string;
  /** Answer translations: their keys are KB languages too. */
  translations?: Record<string, string>;
}

export interface MatcherOptions {
  /** Language of entries that declare none, and the fallback of detection. Default "en". */
  defaultLanguage?: string;
  /** Seed of training and fold assignment. Default 1. */
  seed?: number;
  model?: Partial<ModelOptions>;
  /**
   * Calibration by cross-validation (default on). `outOfScope` defaults to the built-in generic
   * sentences in the KB's languages; `false` skips calibration (raw classifier probabilities and
   * `DEFAULT_THRESHOLDS`, for tests and experiments only).
   */
  calibration?:
    | false
    | (Partial<Omit<CalibrationOptions, 'outOfScope'>> & {
        outOfScope?: readonly OosText[];
        /** Out-of-scope examples added to the built-in ones (the KB's own `outOfScope.examples`). */
        moreOutOfScope?: readonly string[];
      });
}

/**
 * The options a loaded KB asks for: its default language, and how strictly out-of-scope messages are
 * declined (`outOfScope.share` → `oosShare`, `outOfScope.minRecall` → `minOosRecall`).
 */
export function matcherOptionsFor(kb: {
  language: string;
  outOfScope?: { share?: number; minRecall?: number; examples?: readonly string[] } | null;
}): MatcherOptions {
  const o = kb.outOfScope;
  const calibration = {
    ...(o?.share != null && { oosShare: o.share }),
    ...(o?.minRecall != null && { minOosRecall: o.minRecall }),
    ...(o?.examples?.length && { moreOutOfScope: o.examples }),
  };
  return { defaultLanguage: kb.language, ...(Object.keys(calibration).length && { calibration }) };
}

/** An out-of-scope example: a text (in the default language) or a text with its language. */
export type OosText = string | { text: string; language?: string };

export interface MatcherStats {
  /** Time to learn the final model (features, classifier, index), ms (wall clock). */
  buildMs: number;
  /** The same in process CPU time: what the build costs without the waits of a busy machine. */
  buildCpuMs: number;
  /** Time of the cross-validated calibration (k extra models), ms; 0 when skipped. */
  calibrationMs: number;
  /** Distinct features of the learned model (words, bigrams, character n-grams). */
  vocabulary: number;
  entries: number;
  questions: number;
}

/** A built matcher. Immutable: a KB reload builds a new one and swaps it in. */
export interface Matcher {
  /** Best candidate entries for a message with calibrated confidences, best first (`k` default 3). */
  rank(text: string, opts?: { k?: number }): Ranked;
  /** The thresholds `decide()` should use with this matcher (calibrated unless calibration was off). */
  readonly thresholds: Thresholds;
  readonly languages: readonly string[];
  readonly stats: MatcherStats;
  /**
   * What an operator should know about this KB's matcher, e.g. that nothing can be declined as out of
   * scope for lack of out-of-scope examples in its languages. Logged when the KB is loaded.
   */
  readonly warnings: readonly string[];
  /** What the thresholds rest on, when calibrated: held-out estimates and every held-out point. */
  readonly calibration?: HeldOutSummary & { points: readonly HeldOutPoint[] };
}

/**
 * Fewer held-out in-scope questions than this (a KB of a few one-question entries) and the matcher keeps
 * the raw classifier probabilities and `DEFAULT_THRESHOLDS`: a calibration on less would be noise.
 */
export const MIN_HELD_OUT = 10;

/** Builds (trains and calibrates) a matcher for a KB. Deterministic for a given KB, options and seed. */
export function buildMatcher(kb: { entries: readonly MatchableEntry[] }, opts: MatcherOptions = {}): Matcher {
  const defaultLanguage = opts.defaultLanguage ?? 'en';
  const seed = opts.seed ?? 1;
  const model: ModelOptions = { ...DEFAULT_MODEL, ...opts.model };
  model.softmax = { ...model.softmax, seed };
  const languages = kbLanguages(kb.entries, defaultLanguage);
  // Built-in language profiles only: what each example question (and out-of-scope example) is written in.
  const seedOnly = new LanguageDetector(languages);
  const questions = indexQuestions(kb.entries, seedOnly);

  let calibration: Calibration | undefined;
  let uncalibrated = DEFAULT_THRESHOLDS.source;
  const warnings: string[] = [];
  const c0 = performance.now();
  if (opts.calibration !== false) {
    const settings = { ...DEFAULT_CALIBRATION, seed, ...opts.calibration };
    const given = opts.calibration?.outOfScope ?? [
      ...builtInOutOfScope(languages),
      ...(opts.calibration?.moreOutOfScope ?? []).map((text) => ({
        text,
        language: seedOnly.detect(text).language,
      })),
    ];
    const outOfScope = given.map((o) =>
      typeof o === 'string'
        ? { text: o, language: defaultLanguage }
        : { text: o.text, language: o.language ?? defaultLanguage },
    );
    const heldOut = crossValidate(questions, kb.entries.length, { ...settings, outOfScope }, model);
    const inScope = heldOut.filter((h) => h.expected !== null).length;
    if (inScope >= MIN_HELD_OUT) {
      calibration = calibrate(heldOut, settings);
      if (!outOfScope.length)
        warnings.push(
          `no out-of-scope examples in the KB's languages (${languages.join(', ')}; built in: ${Object.keys(GENERIC_OUT_OF_SCOPE).join(', ')}): nothing will be declined as out of scope. Add some off-topic questions as outOfScope.examples`,
        );
      else if (calibration.heldOut.floorReached === false)
        warnings.push(
          `outOfScope.minRecall ${settings.minOosRecall} cannot be shown with ${new Set(outOfScope.map((o) => o.text)).size} out-of-scope examples: every one of them is declined. Add more as outOfScope.examples, or lower the floor`,
        );
    } else {
      uncalibrated = `default: ${inScope} held-out questions, too few to calibrate (needs ${MIN_HELD_OUT})`;
      if (settings.minOosRecall !== undefined || opts.calibration?.oosShare !== undefined)
        warnings.push(
          `the outOfScope setting is not used: ${inScope} held-out questions are too few to calibrate (needs ${MIN_HELD_OUT}); fixed default thresholds apply`,
        );
    }
  }
  const calibrationMs = performance.now() - c0;

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const detector = new LanguageDetector(languages, questions);
  const learned = new EntryModel(questions, kb.entries.length, model);
  const buildMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);

  const ids = kb.entries.map((e) => e.id);
  const weights: CalibratorWeights | undefined = calibration?.calibrator;
  return {
    thresholds: calibration?.thresholds ?? { ...DEFAULT_THRESHOLDS, source: uncalibrated },
    languages,
    warnings,
    calibration: calibration && { ...calibration.heldOut, points: calibration.points },
    stats: {
      buildMs,
      buildCpuMs: (cpu.user + cpu.system) / 1000,
      calibrationMs,
      vocabulary: learned.vocabulary,
      entries: kb.entries.length,
      questions: questions.length,
    },
    rank(text, { k = 3 } = {}) {
      const language = detector.detect(text).language;
      const candidates = learned
        .candidates(text, language)
        .map((c) => ({
          id: ids[c.entry]!,
          confidence: weights ? confidenceOf(weights, c.evidence) : Math.exp(c.evidence[0]!),
        }))
        .sort((a, b) => b.confidence - a.confidence)
        .slice(0, k);
      return { language, candidates };
    },
  };
}

/** The KB's languages: declared entry languages and answer translations, the default first. */
function kbLanguages(entries: readonly MatchableEntry[], defaultLanguage: string): string[] {
  const set = new Set([defaultLanguage]);
  for (const e of entries) {
    if (e.language) set.add(e.language);
    for (const lang of Object.keys(e.translations ?? {})) set.add(lang);
  }
  return [...set];
}

/**
 * Every example question with its entry and language. An entry's `language` is its answer's: its
 * questions may be in any of the KB's languages, so each is detected (built-in profiles only).
 */
function indexQuestions(entries: readonly MatchableEntry[], seedOnly: LanguageDetector): IndexedQuestion[] {
  return entries.flatMap((e, entry) =>
    e.questions.map((text) => ({ text, entry, language: seedOnly.detect(text).language })),
  );
}

function builtInOutOfScope(languages: readonly string[]): { text: string; language: string }[] {
  return languages.flatMap((language) =>
    (GENERIC_OUT_OF_SCOPE[language] ?? []).map((text) => ({ text, language })),
  );
}
