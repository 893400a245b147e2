import { DataverseError } from '../../../shared/dataverse/errors';
import { readResponseMeta } from '../../../shared/dataverse/meta';
import { retryDelayMs, retryPolicySchema } from '../../../shared/dataverse/retry';

describe('readResponseMeta', () => {
  it('reads the live header formats (time remaining is seconds with a grouping separator)', () => {
    const meta = readResponseMeta(
      200,
      {
        'x-ms-dop-hint': '48',
        'x-ms-ratelimit-time-remaining-xrm-requests': '1,199.46',
        'x-ms-ratelimit-burst-remaining-xrm-requests': '5993',
        'Retry-After': '3',
        REQ_ID: 'abc',
      },
      12,
    );
    expect(meta).toEqual({ status: 200, durationMs: 12, dopHint: 48, timeRemainingMs: 1_199_460, burstRemaining: 5993, retryAfterMs: 3000, requestId: 'abc' });
  });

  it('accepts an HTTP-date Retry-After and ignores garbage', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(readResponseMeta(429, { 'retry-after': 'Mon, 01 Jan 2024 00:00:30 GMT' }, 0, now).retryAfterMs).toBe(30_000);
    expect(readResponseMeta(200, { 'x-ms-dop-hint': 'lots', 'retry-after': 'soon' }, 0)).toEqual({ status: 200, durationMs: 0 });
  });
});

describe('retryDelayMs', () => {
  const policy = retryPolicySchema.parse({ maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000 });
  const transient = new DataverseError({ kind: 'transient', message: 'x' });

  it('never retries permanent errors or non-Dataverse errors', () => {
    for (const kind of ['validation', 'notFound', 'duplicateKey', 'privilege', 'auth', 'permanent', 'precondition'] as const) {
      expect(retryDelayMs(new DataverseError({ kind, message: 'x' }), 1, policy)).toBeUndefined();
    }
    expect(retryDelayMs(new Error('boom'), 1, policy)).toBeUndefined();
  });

  it('backs off exponentially with bounded jitter and stops after maxAttempts', () => {
    expect(retryDelayMs(transient, 1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(transient, 1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(transient, 3, policy, () => 1)).toBe(4000);
    expect(retryDelayMs(transient, 4, policy, () => 1)).toBeUndefined();
    const capped = retryPolicySchema.parse({ maxAttempts: 20, baseDelayMs: 1000, maxDelayMs: 5000 });
    expect(retryDelayMs(transient, 10, capped, () => 1)).toBe(5000);
  });

  it('honours Retry-After: throttles wait at least that long, transient errors never less', () => {
    const throttled = new DataverseError({ kind: 'throttled', message: 'x', retryAfterMs: 30_000 });
    expect(retryDelayMs(throttled, 1, policy, () => 0)).toBe(30_000);
    expect(retryDelayMs(throttled, 1, policy, () => 1)).toBe(33_000);
    const busy = new DataverseError({ kind: 'transient', message: 'x', retryAfterMs: 8000 });
    expect(retryDelayMs(busy, 1, policy, () => 0)).toBe(8000);
  });
});
