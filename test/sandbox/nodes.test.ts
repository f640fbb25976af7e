import { describe, expect, it } from 'vitest';
import { CREDS, harness } from './helpers.ts';

/** The Graph nodes set-up tools read (`passerelle init` and `doctor`): the phone number, the templates. */
async function get(url: string, token: string | null = CREDS.accessToken) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('sandbox Graph nodes', () => {
  it('serves the business phone number with the fields asked for, and checks the token', async () => {
    const { sb } = await harness({ displayPhoneNumber: '15550783881' });
    const node = await get(
      `${sb.graphUrl}/v25.0/${CREDS.phoneNumberId}?fields=display_phone_number,verified_name,quality_rating`,
    );
    expect(node).toEqual({
      status: 200,
      json: {
        id: CREDS.phoneNumberId,
        display_phone_number: '+1 555-078-3881',
        verified_name: 'Passerelle Sandbox',
        quality_rating: 'GREEN',
      },
    });
    expect((await get(`${sb.graphUrl}/v25.0/${CREDS.phoneNumberId}?fields=platform_type`)).json).toEqual({
      id: CREDS.phoneNumberId,
      platform_type: 'CLOUD_API',
    });
    expect((await get(`${sb.graphUrl}/v25.0/${CREDS.phoneNumberId}`, 'wrong')).status).toBe(401);
    const unknown = await get(`${sb.graphUrl}/v25.0/123456`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 100 });
  });

  it('lists the template registry one language per entry, paged with cursors', async () => {
    const { sb } = await harness({
      wabaId: '102290129340398',
      templates: [
        {
          name: 'order_update',
          languages: ['en', 'fr'],
          category: 'utility',
          body: 'Order {{1}} is on its way',
        },
        { name: 'promo', languages: ['en'], category: 'marketing', body: 'Sale!', quickReplies: ['Stop'] },
      ],
    });
    const base = `${sb.graphUrl}/v25.0/102290129340398/message_templates`;
    const first = await get(`${base}?limit=2&fields=name,language,status,category`);
    expect(first.json.data).toEqual([
      {
        id: 'order_update:en',
        name: 'order_update',
        language: 'en',
        status: 'APPROVED',
        category: 'UTILITY',
      },
      {
        id: 'order_update:fr',
        name: 'order_update',
        language: 'fr',
        status: 'APPROVED',
        category: 'UTILITY',
      },
    ]);
    const paging = first.json.paging as { cursors: { after: string }; next?: string };
    expect(paging.next).toBeDefined();
    const second = await get(`${base}?limit=2&after=${paging.cursors.after}`);
    expect(second.json.data).toEqual([
      expect.objectContaining({
        name: 'promo',
        category: 'MARKETING',
        components: [
          { type: 'BODY', text: 'Sale!' },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] },
        ],
      }),
    ]);
    expect((second.json.paging as { next?: string }).next).toBeUndefined();
    expect((await get(`${sb.graphUrl}/v25.0/999/message_templates`)).json.error).toMatchObject({ code: 100 });
  });
});
