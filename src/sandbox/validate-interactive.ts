import { invalidValue, missingParameter } from './errors.ts';
import type { Json } from './validate-util.ts';
import {
  charCount,
  isObject,
  optionalString,
  pathOf,
  requireObject,
  requireString,
} from './validate-util.ts';

const INTERACTIVE_TYPES = [
  'button',
  'list',
  'cta_url',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'location_request_message',
  'address_message',
];

/**
 * Interactive messages (spec §2.2): reply buttons and lists are checked against every documented
 * limit; the other interactive types are accepted when they have a body and an action.
 */
export function validateInteractive(p: Json): void {
  const type = p.type;
  if (type === undefined) throw missingParameter("The parameter interactive['type'] is required.");
  if (typeof type !== 'string' || !INTERACTIVE_TYPES.includes(type)) {
    throw invalidValue(`Invalid interactive type "${String(type)}".`);
  }
  const action = p.action;
  if (!isObject(action)) throw missingParameter("The parameter interactive['action'] is required.");
  if (type === 'button') return validateButtons(p, action);
  if (type === 'list') return validateList(p, action);
  if (type === 'cta_url') return validateCtaUrl(p, action);
  if (p.body !== undefined) {
    const body = requireObject(p.body, pathOf('interactive', 'body'));
    optionalString(body.text, pathOf('interactive', 'body', 'text'), 1024);
  }
}

function bodyText(p: Json, max: number): void {
  if (!isObject(p.body) || typeof p.body.text !== 'string' || p.body.text === '') {
    throw missingParameter("The parameter interactive['body']['text'] is required.");
  }
  if (charCount(p.body.text) > max) {
    throw invalidValue(`Body text length invalid. Min length: 1, Max length: ${max}`);
  }
}

function footerText(p: Json): void {
  if (p.footer === undefined) return;
  const text = requireObject(p.footer, pathOf('interactive', 'footer')).text;
  if (typeof text !== 'string' || charCount(text) > 60) {
    throw invalidValue('Footer text length invalid. Min length: 1, Max length: 60');
  }
}

function header(p: Json, allowed: string[]): void {
  if (p.header === undefined) return;
  const h = requireObject(p.header, pathOf('interactive', 'header'));
  if (typeof h.type !== 'string' || !allowed.includes(h.type)) {
    throw invalidValue(`Header type must be one of ${allowed.join(', ')}.`);
  }
  if (h.type === 'text' && (typeof h.text !== 'string' || charCount(h.text) > 60 || h.text === '')) {
    throw invalidValue('Header text length invalid. Min length: 1, Max length: 60');
  }
  if (h.type !== 'text' && !isObject(h[h.type])) {
    throw missingParameter(`The parameter interactive['header']['${h.type}'] is required.`);
  }
}

function validateButtons(p: Json, action: Json): void {
  bodyText(p, 1024);
  footerText(p);
  header(p, ['text', 'image', 'video', 'document']);
  const buttons = action.buttons;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
    throw invalidValue('Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3');
  }
  const titles = new Set<string>();
  const ids = new Set<string>();
  for (const b of buttons) {
    if (!isObject(b) || b.type !== 'reply' || !isObject(b.reply)) {
      throw invalidValue('Each button must be of type "reply" with a reply object.');
    }
    const { id, title } = b.reply;
    if (typeof id !== 'string' || id === '' || charCount(id) > 256) {
      throw invalidValue('Button id length invalid. Min length: 1, Max length: 256');
    }
    if (typeof title !== 'string' || title === '' || charCount(title) > 20) {
      throw invalidValue('Button title length invalid. Min length: 1, Max length: 20');
    }
    if (titles.has(title)) throw invalidValue('Button title must be unique.');
    if (ids.has(id)) throw invalidValue('Button id must be unique.');
    titles.add(title);
    ids.add(id);
  }
}

function validateList(p: Json, action: Json): void {
  bodyText(p, 4096);
  footerText(p);
  header(p, ['text']);
  const button = action.button;
  if (typeof button !== 'string' || button === '') {
    throw missingParameter("The parameter interactive['action']['button'] is required.");
  }
  if (charCount(button) > 20) throw invalidValue('Button text length invalid. Min length: 1, Max length: 20');
  const sections = action.sections;
  if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) {
    throw invalidValue('Invalid number of sections. Min allowed sections: 1, Max allowed sections: 10');
  }
  const rowIds = new Set<string>();
  for (const s of sections) {
    if (!isObject(s) || !Array.isArray(s.rows) || s.rows.length === 0) {
      throw missingParameter("The parameter interactive['action']['sections'][]['rows'] is required.");
    }
    if (sections.length > 1 && (typeof s.title !== 'string' || s.title === '')) {
      throw missingParameter('Section title is required when there is more than one section.');
    }
    if (typeof s.title === 'string' && charCount(s.title) > 24) {
      throw invalidValue('Section title length invalid. Min length: 1, Max length: 24');
    }
    for (const r of s.rows) validateRow(r, rowIds);
  }
  if (rowIds.size > 10) throw invalidValue('Total row count exceed max allowed count: 10');
}

function validateRow(r: unknown, rowIds: Set<string>): void {
  if (!isObject(r)) throw invalidValue('Each row must be an object.');
  if (typeof r.id !== 'string' || r.id === '' || charCount(r.id) > 200) {
    throw invalidValue('Row id length invalid. Min length: 1, Max length: 200');
  }
  if (typeof r.title !== 'string' || r.title === '' || charCount(r.title) > 24) {
    throw invalidValue('Row title length invalid. Min length: 1, Max length: 24');
  }
  if (r.description !== undefined && (typeof r.description !== 'string' || charCount(r.description) > 72)) {
    throw invalidValue('Row description length invalid. Min length: 0, Max length: 72');
  }
  if (rowIds.has(r.id)) throw invalidValue('Row id must be unique.');
  rowIds.add(r.id);
}

function validateCtaUrl(p: Json, action: Json): void {
  bodyText(p, 1024);
  footerText(p);
  header(p, ['text', 'image', 'video', 'document']);
  const params = requireObject(action.parameters, pathOf('interactive', 'action', 'parameters'));
  requireString(params.display_text, pathOf('interactive', 'action', 'parameters', 'display_text'), 20);
  const url = requireString(params.url, pathOf('interactive', 'action', 'parameters', 'url'));
  if (!/^https?:\/\//i.test(url)) throw invalidValue('CTA URL must be an http(s) URL.');
}
