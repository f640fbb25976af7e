import type { TemplateContent, TemplateParameter } from '../core/content.ts';

/**
 * The registry of the business's approved WhatsApp templates, and the local check of a template send
 * against it: a wrong template is refused before any call, with the code, title and details Meta would
 * give (spec §2.4, the 132000 family). Pure.
 */

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

/** Parameters of a text component: a positional count (`{{1}}`, `{{2}}`) or the named list (`{{name}}`). */
export type ParameterSpec = number | string[];

/**
 * A header: text (with its own parameters) or a media header that takes one media parameter. Location
 * headers are left out: `TemplateParameter` (core) cannot carry a location yet.
 */
export type TemplateHeader =
  { format: 'text'; parameters?: ParameterSpec } | { format: 'image' | 'video' | 'document' };

/** A button, by index. Only `url` buttons with a dynamic suffix take a (text) parameter. */
export type TemplateButton =
  | { type: 'quick_reply' }
  | { type: 'url'; dynamic?: boolean }
  | { type: 'phone_number' }
  | { type: 'copy_code' };

/** One approved template in one language, as WhatsApp Manager shows it. */
export interface ApprovedTemplate {
  name: string;
  /** Exact language code the template is approved in (`en`, `en_US`, `pt_BR`…): Meta matches it exactly. */
  language: string;
  category: TemplateCategory;
  /** Body parameters; default none. */
  body?: ParameterSpec;
  header?: TemplateHeader;
  buttons?: TemplateButton[];
  /** Meta pauses low-quality templates and may disable them (132015, 132016). Default `approved`. */
  status?: 'approved' | 'paused' | 'disabled';
}

export type TemplateErrorCode = 132000 | 132001 | 132012 | 132015 | 132016;

/** The error Meta would answer for this send: code, title and `error_data.details` (spec §2.4). */
export interface TemplateError {
  code: TemplateErrorCode;
  title: string;
  details: string;
}

/** Meta's titles for the codes, as they appear in `(#<code>) <title>` (spec §2.4). */
export const TEMPLATE_ERROR_TITLES: Readonly<Record<TemplateErrorCode, string>> = {
  132000: 'Number of parameters does not match the expected number of params',
  132001: 'Template name does not exist in the translation',
  132012: 'Parameter format does not match format in the created template',
  132015: 'Template is Paused',
  132016: 'Template is Disabled',
};

const fail = (code: TemplateErrorCode, details: string): TemplateError => ({
  code,
  title: TEMPLATE_ERROR_TITLES[code],
  details,
});

/** The registry entry for a name in a language, if any. */
export function findTemplate(
  registry: readonly ApprovedTemplate[],
  name: string,
  language: string,
): ApprovedTemplate | undefined {
  return registry.find((t) => t.name === name && t.language === language);
}

/**
 * Checks a template send against the registry: `null` when Meta would accept it, else Meta's error.
 * Order of checks: existence in the language (132001), status (132015/132016), then per component the
 * parameter count (132000) and format — named vs positional, parameter types (132012).
 */
export function validateTemplate(
  content: TemplateContent,
  registry: readonly ApprovedTemplate[],
): TemplateError | null {
  const t = findTemplate(registry, content.name, content.language);
  if (!t) return fail(132001, `template name (${content.name}) does not exist in ${content.language}`);
  if (t.status === 'paused') return fail(132015, `template (${t.name}) is paused due to low quality`);
  if (t.status === 'disabled') return fail(132016, `template (${t.name}) has been permanently disabled`);
  return (
    checkHeader(t.header, content.header ?? []) ??
    checkText('body', t.body ?? 0, content.body ?? [], ['text', 'currency', 'date_time']) ??
    checkButtons(t.buttons ?? [], content.buttons ?? [])
  );
}

/** The count of a parameter spec. */
const countOf = (spec: ParameterSpec): number => (typeof spec === 'number' ? spec : spec.length);

function checkText(
  where: string,
  spec: ParameterSpec,
  params: readonly TemplateParameter[],
  types: readonly TemplateParameter['type'][],
): TemplateError | null {
  const expected = countOf(spec);
  if (params.length !== expected) {
    return fail(
      132000,
      `${where}: number of localizable_params (${params.length}) does not match the expected number of params (${expected})`,
    );
  }
  const wrongType = params.find((p) => !types.includes(p.type));
  if (wrongType)
    return fail(132012, `${where}: a ${wrongType.type} parameter where ${types.join(' or ')} is expected`);
  const names = params.map((p) => ('name' in p ? p.name : undefined));
  const namedCount = names.filter((n) => n !== undefined).length;
  if (typeof spec === 'number') {
    if (namedCount > 0)
      return fail(
        132012,
        `${where}: the template uses positional parameters ({{1}}…) but named ones were sent`,
      );
    return null;
  }
  if (namedCount < params.length) {
    return fail(
      132012,
      `${where}: the template uses named parameters (${spec.map((n) => `{{${n}}}`).join(', ')}) but positional ones were sent`,
    );
  }
  const unknown = names.find((n) => !spec.includes(n!));
  if (unknown !== undefined)
    return fail(132000, `${where}: parameter name "${unknown}" is not in the template`);
  const missing = spec.find((n) => !names.includes(n));
  if (missing !== undefined) return fail(132000, `${where}: parameter "${missing}" is missing`);
  return null;
}

function checkHeader(
  header: TemplateHeader | undefined,
  params: readonly TemplateParameter[],
): TemplateError | null {
  if (!header || header.format === 'text')
    return checkText('header', header?.parameters ?? 0, params, ['text']);
  if (params.length !== 1) {
    return fail(
      132000,
      `header: number of localizable_params (${params.length}) does not match the expected number of params (1)`,
    );
  }
  const p = params[0]!;
  const given = p.type === 'media' ? p.kind : p.type;
  if (given !== header.format) {
    return fail(
      132012,
      `header: a ${given} parameter where the template's ${header.format} header is expected`,
    );
  }
  return null;
}

function checkButtons(
  buttons: readonly TemplateButton[],
  sent: NonNullable<TemplateContent['buttons']>,
): TemplateError | null {
  for (const b of sent) {
    const t = buttons[b.index];
    const where = `button at index ${b.index}`;
    if (!t) return fail(132000, `${where}: the template has no such button`);
    if (t.type !== b.subType)
      return fail(132012, `${where}: sent as ${b.subType}, the template's is ${t.type}`);
    if (t.type === 'url') {
      const err = checkText(where, t.dynamic ? 1 : 0, b.parameters, ['text']);
      if (err) return err;
    } else if (b.parameters.length > 1 || b.parameters.some((p) => p.type !== 'payload')) {
      return fail(132012, `${where}: a quick reply takes at most one payload parameter`);
    }
  }
  // A dynamic URL button needs its suffix: leaving the component out is a missing parameter.
  const missing = buttons.findIndex(
    (t, i) => t.type === 'url' && t.dynamic === true && !sent.some((b) => b.index === i),
  );
  if (missing >= 0) {
    return fail(
      132000,
      `button at index ${missing}: number of localizable_params (0) does not match the expected number of params (1)`,
    );
  }
  return null;
}

/** A template the policy file names for a purpose (the window fallback): static parameter values. */
export interface TemplateRef {
  name: string;
  language: string;
  /** Body parameter values: positional (a list) or named (an object). */
  parameters?: string[] | Record<string, string>;
}

/** The `TemplateContent` a configured template reference sends. */
export function templateContent(ref: TemplateRef): TemplateContent {
  const p = ref.parameters;
  const body: TemplateParameter[] | undefined =
    p === undefined
      ? undefined
      : Array.isArray(p)
        ? p.map((text) => ({ type: 'text', text }))
        : Object.entries(p).map(([name, text]) => ({ type: 'text', name, text }));
  return { type: 'template', name: ref.name, language: ref.language, ...(body?.length ? { body } : {}) };
}
