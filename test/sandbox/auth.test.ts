import { describe, expect, it } from 'vitest';
import { CREDS, harness, text, USER } from './helpers.ts';

describe('sandbox Graph API authentication (spec §7 item 7)', () => {
  it('answers a send without Authorization with code 190 and HTTP 401', async () => {
    const { send } = await harness();
    const res = await send(text(USER.waId), { token: null });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 190, type: 'OAuthException' });
    expect(res.json.error?.fbtrace_id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('answers a send with a wrong Bearer token with code 190 and HTTP 401', async () => {
    const { send } = await harness();
    const res = await send(text(USER.waId), { token: 'not-the-token' });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 190, type: 'OAuthException' });
  });

  it('checks the token on media routes too', async () => {
    const { sb } = await harness();
    const media = sb.uploadMedia(Buffer.from('x'), 'image/png');
    const res = await fetch(`${sb.graphUrl}/v25.0/${media.id}`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(190);
  });

  it('accepts the token as an access_token query parameter, like Graph', async () => {
    const { sb } = await harness();
    sb.users.create(USER);
    sb.userSends(USER.waId, 'hi');
    const res = await fetch(
      `${sb.graphUrl}/v25.0/${CREDS.phoneNumberId}/messages?access_token=${CREDS.accessToken}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(text(USER.waId)),
      },
    );
    expect(res.status).toBe(200);
  });
});
