import { describe, expect, it } from 'vitest';
import { harness, text, USER } from './helpers.ts';

const buttons = (titles: string[]) => ({
  messaging_product: 'whatsapp',
  to: USER.waId,
  type: 'interactive',
  interactive: {
    type: 'button',
    body: { text: 'Pick one' },
    action: { buttons: titles.map((t, i) => ({ type: 'reply', reply: { id: `b${i}`, title: t } })) },
  },
});

const list = (rowsPerSection: number[]) => ({
  messaging_product: 'whatsapp',
  to: USER.waId,
  type: 'interactive',
  interactive: {
    type: 'list',
    body: { text: 'Choose' },
    action: {
      button: 'Options',
      sections: rowsPerSection.map((n, s) => ({
        title: `Section ${s}`,
        rows: Array.from({ length: n }, (_, r) => ({ id: `s${s}r${r}`, title: `Row ${r}` })),
      })),
    },
  },
});

describe('sandbox request validation (spec §2.2, §2.4)', () => {
  it('rejects a send without messaging_product with Meta’s exact (#100) message', async () => {
    const { send } = await harness();
    const res = await send({ to: USER.waId, type: 'text', text: { body: 'hi' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      message: '(#100) The parameter messaging_product is required.',
      type: 'OAuthException',
      code: 100,
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(typeof res.json.error?.fbtrace_id).toBe('string');
  });

  it('rejects a send without `to` with code 100', async () => {
    const { send } = await harness();
    const res = await send({ messaging_product: 'whatsapp', type: 'text', text: { body: 'hi' } });
    expect(res.status).toBe(400);
    expect(res.json.error?.message).toBe('(#100) The parameter to is required.');
  });

  it('rejects a text body over 4096 characters with code 100', async () => {
    const { send } = await harness();
    const res = await send(text(USER.waId, 'x'.repeat(4097)));
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe(100);
    expect(res.json.error?.message).toContain("text['body']");
  });

  it('rejects an unknown message type with code 100', async () => {
    const { send } = await harness();
    const res = await send({ messaging_product: 'whatsapp', to: USER.waId, type: 'hologram', hologram: {} });
    expect(res.json.error?.code).toBe(100);
  });

  it('rejects an unexpected key in the text object with code 100', async () => {
    const { send } = await harness();
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'text',
      text: { body: 'a', bold: true },
    });
    expect(res.json.error?.code).toBe(100);
    expect(res.json.error?.error_data?.details).toContain('Unexpected key "bold"');
  });

  it('rejects more than three reply buttons with code 131009', async () => {
    const { send } = await harness();
    const res = await send(buttons(['A', 'B', 'C', 'D']));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 131009, message: '(#131009) Parameter value is not valid' });
  });

  it('rejects a button title over 20 characters with code 131009', async () => {
    const { send } = await harness();
    const res = await send(buttons(['This title is far too long']));
    expect(res.json.error?.code).toBe(131009);
    expect(res.json.error?.error_data?.details).toContain('Max length: 20');
  });

  it('rejects duplicate button titles with code 131009', async () => {
    const { send } = await harness();
    const res = await send(buttons(['Yes', 'Yes']));
    expect(res.json.error?.code).toBe(131009);
    expect(res.json.error?.error_data?.details).toContain('unique');
  });

  it('rejects a list with more than 10 rows in total with code 131009', async () => {
    const { send } = await harness();
    const res = await send(list([6, 5]));
    expect(res.json.error?.code).toBe(131009);
  });

  it('rejects an interactive message without body text with code 131008', async () => {
    const { send } = await harness();
    const body = buttons(['A']);
    delete (body.interactive as { body?: unknown }).body;
    const res = await send(body);
    expect(res.json.error).toMatchObject({
      code: 131008,
      message: '(#131008) Required parameter is missing',
    });
  });

  it('rejects media with both id and link with code 100', async () => {
    const { send } = await harness();
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'image',
      image: { id: '123', link: 'https://example.com/a.jpg' },
    });
    expect(res.json.error?.code).toBe(100);
  });

  it('answers an unknown phone number id with code 100 and HTTP 400', async () => {
    const { send } = await harness();
    const res = await send(text(USER.waId), { phoneNumberId: '999999999999999' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 100, type: 'GraphMethodException' });
    expect(res.json.error?.message).toContain("Object with ID '999999999999999' does not exist");
  });

  it('accepts any vNN.N version prefix and rejects a malformed one', async () => {
    const { sb, send } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    expect((await send(text(USER.waId), { version: 'v19.0' })).status).toBe(200);
    expect((await send(text(USER.waId), { version: 'latest' })).status).toBe(400);
  });

  it('checks templates against the registry: unknown name is 132001 (HTTP 404)', async () => {
    const { send } = await harness({ templates: [{ name: 'order_update', body: 'Order {{1}} shipped' }] });
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: { name: 'nope', language: { code: 'en_US' } },
    });
    expect(res.status).toBe(404);
    expect(res.json.error?.code).toBe(132001);
  });

  it('checks templates against the registry: wrong parameter count is 132000', async () => {
    const { send } = await harness({
      templates: [{ name: 'order_update', body: 'Order {{1}} shipped {{2}}' }],
    });
    const res = await send({
      messaging_product: 'whatsapp',
      to: USER.waId,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'A1' }] }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe(132000);
  });
});
