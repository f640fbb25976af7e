import { describe, expect, it } from 'vitest';
import type { FailureClass } from '../../src/core/delivery.ts';
import {
  describeWhatsAppFailure,
  WhatsAppApiError,
  WhatsAppNetworkError,
  WhatsAppTimeoutError,
} from '../../src/channels/whatsapp/errors.ts';

function metaError(code: number, httpStatus = 400): WhatsAppApiError {
  return WhatsAppApiError.fromResponse(httpStatus, {
    error: {
      message: `(#${code}) Title ${code}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: `details ${code}` },
      fbtrace_id: `trace-${code}`,
    },
  });
}

const THROTTLED_ACCOUNT: FailureClass = { kind: 'throttled', scope: 'account' };
const TRANSIENT: FailureClass = { kind: 'transient' };
const PERMANENT: FailureClass = { kind: 'permanent' };
const UNAUTHORIZED: FailureClass = { kind: 'unauthorized' };

describe('describeWhatsAppFailure (spec §2.4)', () => {
  it.each<[number, number, FailureClass]>([
    [130429, 400, THROTTLED_ACCOUNT],
    [131056, 400, { kind: 'throttled', scope: 'recipient', retryAfterMs: 6_000 }],
    [4, 400, THROTTLED_ACCOUNT],
    [80007, 400, THROTTLED_ACCOUNT],
    [131047, 400, { kind: 'window_closed' }],
    [131000, 500, TRANSIENT],
    [131016, 500, TRANSIENT],
    [2, 503, TRANSIENT],
    [131057, 500, TRANSIENT],
    [1, 500, TRANSIENT],
    [100, 400, PERMANENT],
    [131008, 400, PERMANENT],
    [131009, 400, PERMANENT],
    [131026, 400, PERMANENT],
    [131021, 400, PERMANENT],
    [131048, 400, PERMANENT],
    [131049, 400, PERMANENT],
    [132000, 400, PERMANENT],
    [132001, 404, PERMANENT],
    [132012, 400, PERMANENT],
    [132015, 400, PERMANENT],
    [132016, 400, PERMANENT],
    [368, 403, PERMANENT],
    [131031, 403, PERMANENT],
    [190, 401, UNAUTHORIZED],
    [0, 401, UNAUTHORIZED],
    [10, 403, UNAUTHORIZED],
    [200, 403, UNAUTHORIZED],
    [299, 403, UNAUTHORIZED],
    [999999, 503, TRANSIENT],
    [999999, 400, PERMANENT],
  ])('classifies code %i (HTTP %i)', (code, httpStatus, failure) => {
    expect(describeWhatsAppFailure(metaError(code, httpStatus))).toEqual({
      failure,
      code,
      message: `Title ${code}`,
      details: `details ${code}`,
      traceId: `trace-${code}`,
    });
  });

  it.each<[number, FailureClass]>([
    [502, TRANSIENT],
    [503, TRANSIENT],
    [429, THROTTLED_ACCOUNT],
    [404, PERMANENT],
  ])('classifies HTTP %i without a Graph error body', (status, failure) => {
    const d = describeWhatsAppFailure(WhatsAppApiError.fromResponse(status, 'upstream says no'));
    expect(d).toMatchObject({ failure, code: `http_${status}` });
  });

  it('classifies a timeout as in doubt: Meta may have accepted the send', () => {
    const d = describeWhatsAppFailure(new WhatsAppTimeoutError('POST https://graph/x', 10_000));
    expect(d).toMatchObject({ failure: { kind: 'in_doubt' }, code: 'timeout' });
  });

  it('classifies a connection lost mid-request as in doubt', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const d = describeWhatsAppFailure(
      new WhatsAppNetworkError('POST https://graph/x', 'reset', { cause: reset }),
    );
    expect(d).toMatchObject({ failure: { kind: 'in_doubt' }, code: 'network' });
  });

  it('classifies a connection never made as transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const fetchErr = new TypeError('fetch failed', { cause: refused });
    const d = describeWhatsAppFailure(
      new WhatsAppNetworkError('POST https://graph/x', 'refused', { cause: fetchErr }),
    );
    expect(d).toMatchObject({ failure: TRANSIENT, code: 'network' });
  });

  it('classifies an unexpected throwable as permanent', () => {
    expect(describeWhatsAppFailure(new TypeError('x is undefined'))).toMatchObject({
      failure: PERMANENT,
      code: 'unexpected',
    });
  });
});

describe('WhatsAppApiError.fromResponse', () => {
  it('strips the "(#code)" prefix from the message to get the title', () => {
    expect(metaError(131047).title).toBe('Title 131047');
  });

  it('parses an envelope given as JSON text', () => {
    const err = WhatsAppApiError.fromResponse(
      400,
      JSON.stringify({ error: { code: 100, message: '(#100) Bad' } }),
    );
    expect(err).toMatchObject({ code: 100, title: 'Bad', httpStatus: 400 });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an empty string', ''],
    ['a JSON array', [1, 2]],
    ['JSON without error', { ok: false }],
    ['an error without a code', { error: { message: 'nope' } }],
  ])('falls back to http_<status> for %s', (_name, body) => {
    const err = WhatsAppApiError.fromResponse(503, body);
    expect(err.code).toBe('http_503');
    expect(err.httpStatus).toBe(503);
  });

  it('keeps a short excerpt of an HTML error page as details', () => {
    const page = `<html><head><title>Oops</title></head><body>${'x'.repeat(500)}</body></html>`;
    const err = WhatsAppApiError.fromResponse(502, page);
    expect(err.details?.startsWith('Oops')).toBe(true);
    expect(err.details!.length).toBeLessThanOrEqual(201);
  });
});
