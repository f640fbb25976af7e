import { invalidParameter, paramRequired, paramTooLong } from './errors.ts';

/** A JSON object as received (validators narrow it step by step). */
export type Json = Record<string, unknown>;

/** Meta's way to name a nested parameter: `text['body']`, `interactive['action']['buttons']`. */
export function pathOf(root: string, ...keys: (string | number)[]): string {
  return root + keys.map((k) => `['${k}']`).join('');
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `path`, or a Graph `(#100)` error when it is missing or not an object. */
export function requireObject(v: unknown, path: string): Json {
  if (v === undefined || v === null) throw paramRequired(path);
  if (!isObject(v)) throw invalidParameter(`Param ${path} must be a JSON object.`);
  return v;
}

/** A non-empty string of at most `max` characters (counted as Unicode code points, like Meta). */
export function requireString(v: unknown, path: string, max?: number): string {
  if (v === undefined || v === null || v === '') throw paramRequired(path);
  if (typeof v !== 'string') throw invalidParameter(`Param ${path} must be a string.`);
  if (max !== undefined && charCount(v) > max) throw paramTooLong(path, max);
  return v;
}

/** Like `requireString` for optional parameters: `undefined` passes. */
export function optionalString(v: unknown, path: string, max?: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`Param ${path} must be a string.`);
  if (max !== undefined && charCount(v) > max) throw paramTooLong(path, max);
  return v;
}

/** Rejects keys Meta does not know on a parameter object (`Unexpected key "x" on param "text".`). */
export function onlyKeys(o: Json, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalidParameter(`Unexpected key "${key}" on param "${path}".`);
  }
}

export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
