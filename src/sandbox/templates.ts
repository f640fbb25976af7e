import { GraphError } from './errors.ts';
import type { QuickReply } from './state.ts';

/**
 * An approved template the sandbox knows. Placeholders are `{{1}}`, `{{2}}`… (positional) or
 * `{{name}}` (named), as in WhatsApp Manager. With a registry, sends are checked against it (132001,
 * 132000) and the phone page shows the filled-in text.
 */
export interface SandboxTemplate {
  name: string;
  /** Language codes it is approved in; default `['en_US']`. */
  languages?: string[];
  category?: 'marketing' | 'utility' | 'authentication';
  header?: string;
  body?: string;
  footer?: string;
  /** Labels of quick-reply buttons, by index. */
  quickReplies?: string[];
}

/** What a template send becomes on the phone and in pricing. */
export interface ResolvedTemplate {
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  text: string;
  quickReplies: QuickReply[];
}

interface Param {
  type?: unknown;
  text?: unknown;
  parameter_name?: unknown;
  payload?: unknown;
  currency?: { fallback_value?: unknown };
  date_time?: { fallback_value?: unknown };
}

interface Component {
  type?: unknown;
  sub_type?: unknown;
  index?: unknown;
  parameters?: Param[];
}

/**
 * Checks a (structurally valid) template send against the registry and renders it. With no registry
 * entry and an empty registry, any template is accepted with `defaultCategory`.
 */
export function resolveTemplate(
  payload: Record<string, unknown>,
  registry: readonly SandboxTemplate[],
  defaultCategory: ResolvedTemplate['category'],
): ResolvedTemplate {
  const name = String(payload.name);
  const language = String((payload.language as { code?: unknown }).code);
  const components = (payload.components ?? []) as Component[];
  const known = registry.find((t) => t.name === name);
  if (registry.length > 0 && (!known || !(known.languages ?? ['en_US']).includes(language))) {
    throw new GraphError(132001, {
      details: `template name (${name}) does not exist in ${language}`,
    });
  }
  const params = (type: string): Param[] => components.find((c) => c.type === type)?.parameters ?? [];
  if (!known) {
    const body = params('body').map(paramText).join(' · ');
    return {
      name,
      language,
      category: defaultCategory,
      text: body ? `[${name}] ${body}` : `[${name}]`,
      quickReplies: quickRepliesFromSend(components, []),
    };
  }
  const header = known.header ? fill(known.header, params('header'), 'header') : '';
  const body = known.body ? fill(known.body, params('body'), 'body') : '';
  return {
    name,
    language,
    category: known.category ?? defaultCategory,
    text: [header && `*${header}*`, body, known.footer ?? ''].filter(Boolean).join('\n'),
    quickReplies: quickRepliesFromSend(components, known.quickReplies ?? []),
  };
}

function fill(text: string, params: Param[], where: string): string {
  const placeholders = [...new Set([...text.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)].map((m) => m[1]!))];
  if (placeholders.length !== params.length) {
    throw new GraphError(132000, {
      details: `${where}: number of localizable_params (${params.length}) does not match the expected number of params (${placeholders.length})`,
    });
  }
  const values = new Map<string, string>();
  params.forEach((p, i) => {
    const key = typeof p.parameter_name === 'string' ? p.parameter_name : String(i + 1);
    if (!placeholders.includes(key)) {
      throw new GraphError(132000, { details: `${where}: parameter name "${key}" is not in the template` });
    }
    values.set(key, paramText(p));
  });
  return text.replace(/\{\{\s*([\w]+)\s*\}\}/g, (_, key: string) => values.get(key) ?? '');
}

function paramText(p: Param): string {
  if (p.type === 'text') return String(p.text ?? '');
  if (p.type === 'currency') return String(p.currency?.fallback_value ?? '');
  if (p.type === 'date_time') return String(p.date_time?.fallback_value ?? '');
  return `[${String(p.type)}]`;
}

function quickRepliesFromSend(components: Component[], labels: string[]): QuickReply[] {
  const payloads = new Map<number, string>();
  for (const c of components) {
    if (c.type !== 'button' || c.sub_type !== 'quick_reply') continue;
    const payload = c.parameters?.find((p) => p.type === 'payload')?.payload;
    if (typeof payload === 'string') payloads.set(Number(c.index), payload);
  }
  if (labels.length === 0) {
    return [...payloads].map(([index, payload]) => ({ index, text: payload, payload }));
  }
  return labels.map((text, index) => ({ index, text, payload: payloads.get(index) ?? text }));
}
