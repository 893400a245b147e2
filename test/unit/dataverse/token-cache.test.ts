/**
 * cachedTokenProvider with a scripted TokenCredential (an interface: the fake is a credential, not a stand-in
 * for a system) and an injected clock: caching, early refresh, single-flight, fallback to a still-valid token.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { cachedTokenProvider, dataverseScope } from '../../../shared/dataverse/auth';
import { DataverseError } from '../../../shared/dataverse/errors';

const MINUTE = 60_000;

/** Each getToken call takes the next scripted answer; pending calls can be resolved later. */
class ScriptedCredential implements TokenCredential {
  readonly calls: Array<{ scopes: string | string[]; options?: GetTokenOptions }> = [];
  private readonly pending: Array<{ resolve(t: AccessToken | null): void; reject(e: unknown): void }> = [];
  constructor(private readonly auto?: (n: number) => AccessToken | null | Error) {}
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.calls.push({ scopes, options });
    if (this.auto) {
      const answer = this.auto(this.calls.length);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    }
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  resolveNext(t: AccessToken | null): void {
    this.pending.shift()!.resolve(t);
  }
  rejectNext(e: unknown): void {
    this.pending.shift()!.reject(e);
  }
}

const token = (name: string, expiresOn: number, refreshAfter?: number): AccessToken => ({
  token: name,
  expiresOnTimestamp: expiresOn,
  ...(refreshAfter === undefined ? {} : { refreshAfterTimestamp: refreshAfter }),
});

describe('cachedTokenProvider', () => {
  it('asks for <org origin>/.default once and serves the cached token until it is due', async () => {
    let now = 0;
    const credential = new ScriptedCredential((n) => token(`t${n}`, 60 * MINUTE));
    const provider = cachedTokenProvider(credential, dataverseScope('https://contoso.crm4.dynamics.com/api/data/v9.2/'), () => now);
    expect(await provider.getToken()).toBe('t1');
    now = 54 * MINUTE; // still more than 5 minutes left
    expect(await provider.getToken()).toBe('t1');
    expect(credential.calls).toHaveLength(1);
    expect(credential.calls[0].scopes).toBe('https://contoso.crm4.dynamics.com/.default');
  });

  it('refreshes 5 minutes before expiry without a refreshAfterTimestamp, and at refreshAfterTimestamp when given', async () => {
    let now = 0;
    const plain = new ScriptedCredential((n) => token(`p${n}`, 60 * MINUTE + (n - 1) * 60 * MINUTE));
    const p = cachedTokenProvider(plain, 'https://a/.default', () => now);
    await p.getToken();
    now = 55 * MINUTE; // exactly the margin
    expect(await p.getToken()).toBe('p2');

    now = 0;
    const hinted = new ScriptedCredential((n) => token(`h${n}`, 60 * MINUTE, 30 * MINUTE + (n - 1) * 60 * MINUTE));
    const h = cachedTokenProvider(hinted, 'https://a/.default', () => now);
    await h.getToken();
    now = 30 * MINUTE - 1;
    expect(await h.getToken()).toBe('h1');
    now = 30 * MINUTE;
    expect(await h.getToken()).toBe('h2');
    expect(hinted.calls).toHaveLength(2);
  });

  it('single-flight: concurrent callers share one credential call, for the first token and for a refresh', async () => {
    let now = 0;
    const credential = new ScriptedCredential();
    const provider = cachedTokenProvider(credential, 'https://a/.default', () => now);
    const first = Promise.all([provider.getToken(), provider.getToken(), provider.getToken()]);
    expect(credential.calls).toHaveLength(1);
    credential.resolveNext(token('one', 60 * MINUTE));
    expect(await first).toEqual(['one', 'one', 'one']);

    now = 56 * MINUTE; // refresh due, old token still valid
    const refreshing = Promise.all([provider.getToken(), provider.getToken()]);
    await Promise.resolve();
    expect(credential.calls).toHaveLength(2);
    credential.resolveNext(token('two', 120 * MINUTE));
    expect(await refreshing).toEqual(['two', 'two']);
    expect(await provider.getToken()).toBe('two');
    expect(credential.calls).toHaveLength(2);
  });

  it('keeps using a still-valid token when the refresh fails, and fails with an auth error once it is about to expire', async () => {
    let now = 0;
    const credential = new ScriptedCredential((n) => (n === 1 ? token('old', 60 * MINUTE) : new Error('AADSTS50058: identity endpoint unreachable')));
    const provider = cachedTokenProvider(credential, 'https://a/.default', () => now);
    await provider.getToken();
    now = 58 * MINUTE;
    expect(await provider.getToken()).toBe('old');
    now = 60 * MINUTE - 10_000; // under 30 s left: not worth sending
    const error = await provider.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataverseError);
    expect(error).toMatchObject({ kind: 'auth', retryable: false });
    expect((error as Error).message).toContain('AADSTS50058');
    expect((error as Error).message).toContain('https://a/.default');
  });

  it('invalidate() (after a 401) forces a new token on the next call', async () => {
    const credential = new ScriptedCredential((n) => token(`t${n}`, 60 * MINUTE));
    const provider = cachedTokenProvider(credential, 'https://a/.default', () => 0);
    expect(await provider.getToken()).toBe('t1');
    provider.invalidate();
    expect(await provider.getToken()).toBe('t2');
  });

  it('a credential answering null is an auth error naming the scope; the next call tries again', async () => {
    const credential = new ScriptedCredential((n) => (n === 1 ? null : token('later', 60 * MINUTE)));
    const provider = cachedTokenProvider(credential, 'https://b/.default', () => 0);
    await expect(provider.getToken()).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('https://b/.default') });
    expect(await provider.getToken()).toBe('later');
  });

  it('passes the caller’s abort signal to the credential', async () => {
    const credential = new ScriptedCredential((n) => token(`t${n}`, 60 * MINUTE));
    const controller = new AbortController();
    await cachedTokenProvider(credential, 'https://a/.default', () => 0).getToken(controller.signal);
    expect(credential.calls[0].options?.abortSignal).toBe(controller.signal);
  });
});
