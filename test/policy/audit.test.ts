import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toAuditEntry } from '../../src/policy/audit.ts';
import { countryOf } from '../../src/policy/country.ts';
import { outboundPolicy } from '../../src/policy/engine.ts';
import { inboundPolicy } from '../../src/policy/inbound.ts';
import { defaultPolicy, type PolicyProfile } from '../../src/policy/profiles.ts';
import { scopeFor } from '../../src/policy/scope.ts';
import { audit } from '../../src/store/audit.ts';
import { openStore } from '../../src/store/db.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const H = 3_600_000;
const SECRET = 'my card is 4242 4242 4242 4242';
const profile: PolicyProfile = {
  ...defaultPolicy().whatsapp,
  window: {
    hours: 24,
    outside: { template: { name: 'reply_ready', language: 'en', parameters: { first_name: 'Ana Secret' } } },
  },
};
const ids = { messageId: 'msg-1', personId: 'person-1', outboxId: 'out-1' };

const transform = outboundPolicy(profile, {
  now: NOW,
  lastInboundAt: NOW - 26 * H,
  optedOut: false,
  optedIn: false,
  businessInitiated: false,
  reply: { content: { type: 'text', text: SECRET }, intent: 'answer' },
});

describe('audit entries of policy decisions', () => {
  it('an outbound decision becomes policy.<action> with its reason, explanation, rule and data', () => {
    expect(toAuditEntry(transform, ids)).toEqual({
      actor: 'policy',
      action: 'policy.transform',
      personId: 'person-1',
      messageId: 'msg-1',
      outboxId: 'out-1',
      reasonCode: 'outside_window_template',
      detail: {
        explanation: transform.explanation,
        rule: 'whatsapp.window',
        data: expect.objectContaining({
          windowHours: 24,
          ageMs: 26 * H,
          sentAs: { template: 'reply_ready', language: 'en' },
        }),
      },
    });
  });

  it('never carries message text or template parameter values', () => {
    const json = JSON.stringify(toAuditEntry(transform, ids));
    expect(json).not.toContain('4242');
    expect(json).not.toContain('Ana Secret');
  });

  it('a scope decision becomes policy.scope', () => {
    const d = scopeFor(profile, { country: countryOf({ address: '+5511987654321' }), now: NOW });
    expect(toAuditEntry(d, ids)).toMatchObject({
      action: 'policy.scope',
      reasonCode: 'general_purpose_allowed_country',
      detail: { rule: 'whatsapp.generalPurpose.BR-2026' },
    });
  });

  it('an inbound signal becomes policy.<kind>', () => {
    const s = inboundPolicy(profile, { content: { type: 'text', text: 'Arrêt' } });
    expect(toAuditEntry(s, { messageId: 'in-1' })).toMatchObject({
      action: 'policy.opt_out',
      reasonCode: 'opt_out_word',
      messageId: 'in-1',
      personId: null,
      outboxId: null,
    });
  });

  it("is what the store's audit() takes: written and read back", async () => {
    const store = openStore({
      url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'passerelle-audit-')), 'p.db')}`,
    });
    try {
      await store.migrate();
      await audit(store.db, toAuditEntry(transform, { messageId: 'msg-1' }), NOW);
      const row = await store.db.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        action: 'policy.transform',
        reason_code: 'outside_window_template',
        actor: 'policy',
      });
      expect(JSON.parse(row.detail!)).toMatchObject({
        rule: 'whatsapp.window',
        explanation: transform.explanation,
      });
    } finally {
      await store.close();
    }
  });
});
