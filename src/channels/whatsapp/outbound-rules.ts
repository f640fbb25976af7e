/**
 * The limits Meta enforces on send bodies (spec §2.2), checked before any call so a body Meta would
 * refuse fails fast, with the code Meta would have given, and is dead-lettered as permanent.
 *
 * Codes: `100` for Graph's own parameter checks (lengths and formats of plain fields),
 * `131008` for a required parameter that is missing, `131009` for values Meta parses but refuses
 * (interactive limits, duplicate titles).
 */
import { WhatsAppApiError } from './errors.ts';

/** spec §2.2 limits, in characters (counted as Unicode code points). */
export const LIMITS = {
  textBody: 4096,
  caption: 1024,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  buttonsBody: 1024,
  listBody: 4096,
  listButton: 20,
  listSections: 10,
  listRows: 10,
  sectionTitle: 24,
  rowId: 200,
  rowTitle: 24,
  rowDescription: 72,
  header: 60,
  footer: 60,
  templateName: 512,
  callbackData: 512,
} as const;

/** spec §2.2: template names are lowercase alphanumerics and `_`; named parameters likewise. */
export const TEMPLATE_NAME_RE = /^[a-z0-9_]+$/;

/** The Meta codes a local rejection may carry (see the module comment). */
export type LocalCode = 100 | 131008 | 131009;

const TITLES: Record<LocalCode, string> = {
  100: 'Invalid parameter',
  131008: 'Required parameter is missing',
  131009: 'Parameter value is not valid',
};

/** Throws the local equivalent of Meta's answer (HTTP 400, no fbtrace_id). */
export function reject(code: LocalCode, details: string): never {
  throw WhatsAppApiError.local(code, TITLES[code], details);
}

/** Length in code points, so an emoji counts as one character. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `value` must be non-empty (131008 otherwise) and at most `max` characters (`code` otherwise). */
export function requireText(value: string | undefined, max: number, what: string, code: LocalCode): string {
  if (value === undefined || value.trim() === '') reject(131008, `${what} is required`);
  checkMax(value, max, what, code);
  return value;
}

/** An optional field: when present, at most `max` characters. */
export function checkMax(value: string | undefined, max: number, what: string, code: LocalCode): void {
  if (value !== undefined && charLength(value) > max) {
    reject(code, `${what} must be at most ${max} characters (got ${charLength(value)})`);
  }
}

/** Every value must be distinct (button titles, button and row ids). */
export function checkUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) reject(131009, `${what} must be unique ("${v}" appears twice)`);
    seen.add(v);
  }
}

/**
 * spec §2.1: "Always include + and the country code". A phone number (digits, optionally with `+`,
 * spaces, dots, dashes or brackets) becomes `+<digits>`; anything else (a BSUID such as `user.…`,
 * spec §1.7, or a group id) is passed as is.
 */
export function formatRecipient(to: string): string {
  const t = to.trim();
  if (t === '') reject(131008, 'to is required');
  if (/^\+?[\d\s().-]+$/.test(t)) {
    const digits = t.replace(/\D/g, '');
    if (digits.length > 0) return `+${digits}`;
  }
  return t;
}
