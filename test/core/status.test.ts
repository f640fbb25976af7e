import { describe, expect, it } from 'vitest';
import { foldStatuses } from '../../src/core/status.ts';

const base = { status: 'accepted' as const, at: 0 };

describe('foldStatuses (spec §1.5)', () => {
  it('follows sent → delivered → read', () => {
    const s = foldStatuses(base, [
      { status: 'sent', timestamp: 1 },
      { status: 'delivered', timestamp: 2 },
      { status: 'read', timestamp: 3 },
    ]);
    expect(s).toMatchObject({ status: 'read', at: 3, deliveredAt: 2, readAt: 3 });
  });

  it('is independent of arrival order', () => {
    const s = foldStatuses(base, [
      { status: 'read', timestamp: 3 },
      { status: 'sent', timestamp: 1 },
      { status: 'delivered', timestamp: 2 },
    ]);
    expect(s.status).toBe('read');
  });

  it('treats read as implying delivered when no delivered event comes', () => {
    const s = foldStatuses(base, [
      { status: 'sent', timestamp: 1 },
      { status: 'read', timestamp: 5 },
    ]);
    expect(s).toMatchObject({ status: 'read', deliveredAt: 5, readAt: 5 });
  });

  it('reports a failure with its error code', () => {
    const s = foldStatuses(base, [
      { status: 'sent', timestamp: 1 },
      { status: 'failed', timestamp: 2, errorCode: 131047, errorDetails: 'window' },
    ]);
    expect(s).toMatchObject({ status: 'failed', errorCode: '131047', errorDetails: 'window' });
  });

  it('lets a delivery receipt win over a contradicting failure', () => {
    const s = foldStatuses(base, [
      { status: 'failed', timestamp: 2, errorCode: 131000 },
      { status: 'delivered', timestamp: 3 },
    ]);
    expect(s.status).toBe('delivered');
  });

  it('ignores informational statuses', () => {
    expect(foldStatuses(base, [{ status: 'warning', timestamp: 1 }]).status).toBe('accepted');
  });
});
