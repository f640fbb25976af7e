import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CHANNELS } from '../core/channel.ts';
import { normaliseKeyword } from './inbound.ts';
import { defaultPolicy, type Policy, type PolicyProfile, type PolicySeed } from './profiles.ts';
import { PolicyFileSchema, type ListOverride, type ProfileOverride } from './schema.ts';
import { templateContent, validateTemplate, type TemplateRef } from './templates.ts';

/**
 * Loading the policy: the shipped defaults, overridden by an optional YAML or JSON file (the lead's
 * `PASSERELLE_POLICY` key). This is the only policy module that does I/O, once, at start-up; a bad
 * file stops start-up with every problem named by file and key.
 */

/** An unreadable or invalid policy file. Each problem names the file and the key. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(readonly problems: string[]) {
    super(`Invalid policy:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The policy in force: the defaults without `path`, else the defaults overridden by the file
 * (`.json` read as JSON, anything else as YAML). Throws `PolicyError`.
 */
export function loadPolicy(path?: string, seed: PolicySeed = {}): Policy {
  if (path === undefined || path === '') return defaultPolicy(seed);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyError([`${path}: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`]);
  }
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PolicyError([
      `${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message})`,
    ]);
  }
  return parsePolicy(data ?? {}, path, seed);
}

/** Validates parsed file data and applies it to the defaults. Pure; `file` names the source in errors. */
export function parsePolicy(data: unknown, file: string, seed: PolicySeed = {}): Policy {
  const parsed = PolicyFileSchema.safeParse(data);
  if (!parsed.success)
    throw new PolicyError(flattenIssues(parsed.error.issues, []).map((p) => `${file}: ${p}`));
  const policy = defaultPolicy(seed);
  const problems: string[] = [];
  for (const channel of CHANNELS) {
    const override = parsed.data[channel];
    if (override) policy[channel] = applyOverride(policy[channel], override, channel, problems);
    checkProfile(policy[channel], problems);
  }
  if (problems.length) throw new PolicyError(problems.map((p) => `${file}: ${p}`));
  return policy;
}

/** Zod issues as `key.path: message`; a union reports the branch that got furthest into the value. */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): string[] {
  return issues.flatMap((i) => {
    const path = [...prefix, ...i.path];
    if (i.code === 'invalid_union') {
      const deeper = i.errors.find((branch) => branch.some((b) => b.path.length > 0));
      if (deeper) return flattenIssues(deeper, path);
    }
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${[...path, k].join('.')}: unknown key`);
    return [`${path.join('.') || '(root)'}: ${i.message}`];
  });
}

/** A list edited by an override; `keyOf` is what `remove` matches. Unknown removals are problems. */
function editList<T, L extends readonly T[]>(
  base: L,
  o: ListOverride<T> | undefined,
  keyOf: (t: T | string) => string,
  where: string,
  problems: string[],
): L | T[] {
  if (o === undefined) return base;
  if (Array.isArray(o)) return o;
  const removed = new Set((o.remove ?? []).map(keyOf));
  for (const r of o.remove ?? []) {
    if (!base.some((b) => keyOf(b) === keyOf(r))) problems.push(`${where}.remove: "${r}" is not in the list`);
  }
  return [...base.filter((b) => !removed.has(keyOf(b))), ...(o.add ?? [])];
}

const byWord = (w: string): string => normaliseKeyword(w);
const byId = (x: { id: string } | string) => (typeof x === 'string' ? x : x.id);

function applyOverride(
  base: PolicyProfile,
  o: ProfileOverride,
  ch: string,
  problems: string[],
): PolicyProfile {
  const out: PolicyProfile = { ...base };
  if (o.scope) out.scope = o.scope;
  out.generalPurpose = editList(
    base.generalPurpose,
    o.generalPurpose,
    byId,
    `${ch}.generalPurpose`,
    problems,
  );
  out.templatePauses = editList(
    base.templatePauses,
    o.templatePauses,
    byId,
    `${ch}.templatePauses`,
    problems,
  );
  out.optOutWords = editList(base.optOutWords, o.optOutWords, byWord, `${ch}.optOutWords`, problems);
  out.optInWords = editList(base.optInWords, o.optInWords, byWord, `${ch}.optInWords`, problems);
  out.escalationWords = editList(
    base.escalationWords,
    o.escalationWords,
    byWord,
    `${ch}.escalationWords`,
    problems,
  );
  out.escalationChoiceIds = editList(
    base.escalationChoiceIds,
    o.escalationChoiceIds,
    (x) => x,
    `${ch}.escalationChoiceIds`,
    problems,
  );
  if (o.window === null) out.window = null;
  else if (o.window) {
    const w = base.window ?? { hours: 24, outside: { template: null } };
    out.window = {
      hours: o.window.hours ?? w.hours,
      outside: { ...w.outside, ...o.window.outside } as typeof w.outside,
    };
  }
  if (o.requireOptInForBusinessInitiated !== undefined)
    out.requireOptInForBusinessInitiated = o.requireOptInForBusinessInitiated;
  if (o.trainingUse) out.trainingUse = o.trainingUse;
  if (o.rateLimits) {
    const r = { ...base.rateLimits };
    for (const [k, v] of Object.entries(o.rateLimits) as [
      keyof typeof r,
      (typeof r)['perAccount'] | null,
    ][]) {
      if (v === null) delete r[k];
      else if (v) r[k] = v;
    }
    out.rateLimits = r;
  }
  if (o.templates) out.templates = o.templates;
  if (o.confirmations) {
    out.confirmations = {
      opt_out: { ...base.confirmations.opt_out, ...o.confirmations.opt_out },
      opt_in: { ...base.confirmations.opt_in, ...o.confirmations.opt_in },
    };
  }
  return out;
}

/** Rules that span keys: ids unique, a word not both opt-out and opt-in, window templates approved. */
function checkProfile(p: PolicyProfile, problems: string[]): void {
  const ch = p.channel;
  for (const [key, list] of [
    ['generalPurpose', p.generalPurpose],
    ['templatePauses', p.templatePauses],
  ] as const) {
    const ids = list.map((x) => x.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) problems.push(`${ch}.${key}: id "${dup}" appears twice`);
  }
  const optIn = new Set(p.optInWords.map(byWord));
  const both = p.optOutWords.find((w) => optIn.has(byWord(w)));
  if (both) problems.push(`${ch}.optOutWords: "${both}" is also an opt-in word`);
  const keys = new Set<string>();
  for (const t of p.templates) {
    const key = `${t.name} (${t.language})`;
    if (keys.has(key)) problems.push(`${ch}.templates: ${key} appears twice`);
    keys.add(key);
  }
  const refs: [string, TemplateRef][] = [];
  if (p.window?.outside.template) refs.push([`${ch}.window.outside.template`, p.window.outside.template]);
  for (const [lang, ref] of Object.entries(p.window?.outside.templateByLanguage ?? {}))
    refs.push([`${ch}.window.outside.templateByLanguage.${lang}`, ref]);
  if (p.templates.length === 0) return; // nothing to check against: sends are checked by Meta only
  for (const [where, ref] of refs) {
    const err = validateTemplate(templateContent(ref), p.templates);
    if (err) problems.push(`${where}: ${err.code} ${err.title}: ${err.details}`);
  }
}
