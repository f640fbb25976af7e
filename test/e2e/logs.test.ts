import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { CREDS, postWebhook, startStack, waitFor } from '../helpers/stack.ts';

describe('structured logs', () => {
  it('never print the access token, the app secret or the verify token, even at trace level', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const stack = await startStack({ logger: createLogger('trace', sink) });
    try {
      const sb = stack.sandbox;
      sb.users.create({ waId: '33611111111', name: 'Dee' });
      // A success, an auth failure from the API, a bad signature and a verification attempt.
      sb.userSends('33611111111', 'When are you open?');
      await waitFor(() => sb.sentTo('33611111111').length === 1);
      sb.faults.inject({ kind: 'send_error', code: 190, times: 1 });
      sb.userSends('33611111111', 'Do you deliver?');
      // 190: the credentials were refused, so the account's sends pause (logged as an error).
      await waitFor(async () => {
        const r = await stack.gateway.store.db
          .selectFrom('outbox')
          .select('state')
          .where('last_error_code', '=', '190')
          .execute();
        return r.length >= 1 && out.includes('refused the credentials');
      });
      await postWebhook(stack.url, '{"object":"whatsapp_business_account","entry":[]}', { secret: 'wrong' });
      await fetch(
        `${stack.url}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=${CREDS.verifyToken}x`,
      );
    } finally {
      await stack.close();
    }
    expect(out.length).toBeGreaterThan(0);
    expect(out).toContain('send failed');
    for (const secret of [CREDS.accessToken, CREDS.appSecret, CREDS.verifyToken])
      expect(out).not.toContain(secret);
  });
});
