import { describe, expect, it } from 'vitest';
import type { TemplateContent, TemplateParameter } from '../../src/core/content.ts';
import { outboundPolicy } from '../../src/policy/engine.ts';
import { defaultPolicy } from '../../src/policy/profiles.ts';
import { validateTemplate, type ApprovedTemplate } from '../../src/policy/templates.ts';

// spec §2.4: 132000 parameter count, 132001 name/language, 132012 format, 132015 paused, 132016 disabled.

const REGISTRY: ApprovedTemplate[] = [
  { name: 'order_update', language: 'en_US', category: 'UTILITY', body: 2 },
  { name: 'order_update_named', language: 'fr', category: 'UTILITY', body: ['first_name', 'order_id'] },
  {
    name: 'spring_sale',
    language: 'en',
    category: 'MARKETING',
    header: { format: 'image' },
    body: 1,
    buttons: [{ type: 'quick_reply' }, { type: 'url', dynamic: true }],
  },
  { name: 'greeting', language: 'en', category: 'UTILITY', header: { format: 'text', parameters: ['shop'] } },
  { name: 'low_quality', language: 'en', category: 'MARKETING', status: 'paused' },
  { name: 'retired', language: 'en', category: 'MARKETING', status: 'disabled' },
];

const t = (v: string): TemplateParameter => ({ type: 'text', text: v });
const named = (name: string, v: string): TemplateParameter => ({ type: 'text', name, text: v });
const tpl = (name: string, language: string, more: Partial<TemplateContent> = {}): TemplateContent => ({
  type: 'template',
  name,
  language,
  ...more,
});
const image: TemplateParameter = { type: 'media', kind: 'image', media: { id: '123' } };
const saleButtons: TemplateContent['buttons'] = [{ subType: 'url', index: 1, parameters: [t('spring')] }];

const cases: [string, TemplateContent, number | null, string?][] = [
  ['positional parameters of the right count pass', tpl('order_update', 'en_US', { body: [t('Ana'), t('A-12')] }), null],
  ['named parameters with the right names pass', tpl('order_update_named', 'fr', { body: [named('order_id', 'A-12'), named('first_name', 'Ana')] }), null],
  ['media header, body and dynamic URL suffix pass', tpl('spring_sale', 'en', { header: [image], body: [t('20%')], buttons: saleButtons }), null],
  ['one parameter short is 132000', tpl('order_update', 'en_US', { body: [t('Ana')] }), 132000, 'body: number of localizable_params (1) does not match the expected number of params (2)'],
  ['one parameter too many is 132000', tpl('order_update', 'en_US', { body: [t('a'), t('b'), t('c')] }), 132000, 'body: number of localizable_params (3) does not match the expected number of params (2)'],
  ['an unknown template name is 132001', tpl('order_updat', 'en_US'), 132001, 'template name (order_updat) does not exist in en_US'],
  ['a known name in a language it is not approved in is 132001', tpl('order_update', 'en', { body: [t('a'), t('b')] }), 132001, 'template name (order_update) does not exist in en'],
  ['positional parameters for a named template are 132012', tpl('order_update_named', 'fr', { body: [t('Ana'), t('A-12')] }), 132012],
  ['named parameters for a positional template are 132012', tpl('order_update', 'en_US', { body: [named('a', 'Ana'), named('b', 'A-12')] }), 132012],
  ['a name the template does not have is 132000', tpl('order_update_named', 'fr', { body: [named('first_name', 'Ana'), named('order', 'A-12')] }), 132000, 'body: parameter name "order" is not in the template'],
  ['an image in the body is 132012', tpl('order_update', 'en_US', { body: [t('Ana'), image] }), 132012],
  ['a missing media header is 132000', tpl('spring_sale', 'en', { body: [t('20%')], buttons: saleButtons }), 132000],
  ['a video for an image header is 132012', tpl('spring_sale', 'en', { header: [{ type: 'media', kind: 'video', media: { id: '1' } }], body: [t('20%')], buttons: saleButtons }), 132012],
  ['a missing dynamic URL suffix is 132000', tpl('spring_sale', 'en', { header: [image], body: [t('20%')] }), 132000],
  ['a button index the template lacks is 132000', tpl('spring_sale', 'en', { header: [image], body: [t('20%')], buttons: [...saleButtons!, { subType: 'quick_reply', index: 5, parameters: [] }] }), 132000],
  ['a quick reply sent as a URL button is 132012', tpl('spring_sale', 'en', { header: [image], body: [t('20%')], buttons: [{ subType: 'url', index: 0, parameters: [t('x')] }, ...saleButtons!] }), 132012],
  ['a named text header checks its names', tpl('greeting', 'en', { header: [named('shop', 'Cycles Dupont')] }), null],
  ['a paused template is 132015', tpl('low_quality', 'en'), 132015],
  ['a disabled template is 132016', tpl('retired', 'en'), 132016],
]; // prettier-ignore

describe('template registry: the error Meta would give, before any call', () => {
  it.each(cases)('%s', (_name, content, code, details) => {
    const err = validateTemplate(content, REGISTRY);
    expect(err?.code ?? null).toBe(code);
    if (details) expect(err?.details).toBe(details);
  });

  it("uses Meta's titles (spec §2.4)", () => {
    expect(validateTemplate(tpl('nope', 'en'), REGISTRY)?.title).toBe(
      'Template name does not exist in the translation',
    );
    expect(validateTemplate(tpl('order_update', 'en_US'), REGISTRY)?.title).toBe(
      'Number of parameters does not match the expected number of params',
    );
    expect(
      validateTemplate(tpl('order_update_named', 'fr', { body: [t('a'), t('b')] }), REGISTRY)?.title,
    ).toBe('Parameter format does not match format in the created template');
  });

  it('the outbound policy refuses a wrong template with the code, title and details in its data', () => {
    const profile = { ...defaultPolicy().whatsapp, templates: REGISTRY };
    const d = outboundPolicy(profile, {
      now: Date.parse('2026-06-01T12:00:00Z'),
      lastInboundAt: null,
      optedOut: false,
      optedIn: true,
      businessInitiated: true,
      reply: { content: tpl('order_update', 'en_US', { body: [t('Ana')] }) },
    });
    expect(d).toMatchObject({
      action: 'refuse',
      reason: 'template_invalid',
      rule: 'whatsapp.templates',
      data: { code: 132000, template: { name: 'order_update', language: 'en_US' } },
    });
    expect(d.explanation).toBe(
      "Template order_update (en_US) refused locally with Meta's error 132000 (Number of parameters does not match the expected number of params): body: number of localizable_params (1) does not match the expected number of params (2).",
    );
  });
});
