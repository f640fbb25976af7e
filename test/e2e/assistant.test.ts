import { afterEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../helpers/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const USER = '33655555555';

describe('the offline assistant on WhatsApp (sandbox)', () => {
  it('answers a French question in French from the knowledge base', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Hélène' });
    sb.userSends(USER, 'Quand êtes-vous ouverts ?');
    const [r] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER));
    expect((r!.payload as { body: string }).body).toMatch(/^Nous sommes ouverts du lundi au samedi/);
  });

  it('declines an off-scope question with a human offered, and records the handoff when tapped', async () => {
    stack = await startStack();
    const sb = stack.sandbox;
    sb.users.create({ waId: USER, name: 'Hélène' });
    sb.userSends(USER, 'Write me a poem about the sea');
    const [decline] = await waitFor(() => sb.sentTo(USER).length === 1 && sb.sentTo(USER));
    expect(decline!.type).toBe('interactive');
    const body = decline!.payload as {
      body: { text: string };
      action: { buttons: { reply: { title: string } }[] };
    };
    expect(body.body.text).toMatch(/^Sorry, I can't help with that/);
    expect(body.action.buttons.map((b) => b.reply.title)).toEqual(['Talk to a person']);
    sb.tapButton(USER, decline!.id, 'Talk to a person');
    const all = await waitFor(() => sb.sentTo(USER).length === 2 && sb.sentTo(USER));
    expect((all[1]!.payload as { body: string }).body).toMatch(/asked a colleague/);
    const a = await waitFor(() =>
      stack!.gateway.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'handoff.requested')
        .executeTakeFirst(),
    );
    expect(a.reason_code).toBe('person_tapped');
  });
});
