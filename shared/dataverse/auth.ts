/**
 * Bearer tokens per application user, from the credential in the environments setting.
 * `@azure/identity` credentials cache internally, but direct callers must refresh themselves
 * (https://learn.microsoft.com/javascript/api/@azure/core-auth/tokencredential): we refresh at `refreshAfterTimestamp`, else 5 minutes before expiry, with one
 * refresh in flight at a time, and keep using the old token if a refresh fails while it is still valid.
 */
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Credential } from '../config/environments';
import { DataverseError } from './errors';

export interface TokenProvider {
  /** A bearer token valid for at least the refresh margin. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Forget the cached token (after a 401) so the next call fetches a new one. */
  invalidate(): void;
}

const REFRESH_MARGIN_MS = 5 * 60_000;

/** `https://contoso.crm4.dynamics.com/.default`: the audience is the environment URL. */
export function dataverseScope(orgUrl: string): string {
  return `${new URL(orgUrl).origin}/.default`;
}

/** A short, secret-free label naming the application user (used for lane ids and logs). */
export function credentialLabel(credential: Credential, index: number): string {
  switch (credential.type) {
    case 'clientSecret':
      return `app:${credential.clientId}`;
    case 'managedIdentity':
      return credential.clientId ? `mi:${credential.clientId}` : 'mi:system';
    case 'defaultAzureCredential':
      return 'default';
    case 'staticToken':
      return `static#${index}`;
  }
}

export function createTokenCredential(
  credential: Exclude<Credential, { type: 'staticToken' }>,
  settings: Readonly<Record<string, string | undefined>>,
): TokenCredential {
  switch (credential.type) {
    case 'clientSecret': {
      const secret = settings[credential.clientSecretSetting];
      if (!secret) {
        throw new DataverseError({
          kind: 'auth',
          message: `The app setting '${credential.clientSecretSetting}' (clientSecretSetting of the credential for client ${credential.clientId}) is not set or empty. Add it (a Key Vault reference in Azure).`,
        });
      }
      return new ClientSecretCredential(credential.tenantId, credential.clientId, secret);
    }
    case 'managedIdentity':
      return credential.clientId ? new ManagedIdentityCredential({ clientId: credential.clientId }) : new ManagedIdentityCredential();
    case 'defaultAzureCredential':
      return new DefaultAzureCredential();
  }
}

export function staticTokenProvider(token: string): TokenProvider {
  return { getToken: async () => token, invalidate: () => undefined };
}

/** Wraps any TokenCredential with caching, early refresh and single-flight. */
export function cachedTokenProvider(credential: TokenCredential, scope: string, now: () => number = Date.now): TokenProvider {
  let current: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  const refreshDue = (t: AccessToken): number => t.refreshAfterTimestamp ?? t.expiresOnTimestamp - REFRESH_MARGIN_MS;

  const fetchToken = (signal?: AbortSignal): Promise<AccessToken> => {
    inFlight ??= (async () => {
      try {
        const token = await credential.getToken(scope, { abortSignal: signal });
        if (!token) throw new DataverseError({ kind: 'auth', message: `The credential returned no token for scope ${scope}.` });
        current = token;
        return token;
      } catch (e) {
        if (e instanceof DataverseError) throw e;
        throw new DataverseError({ kind: 'auth', message: `Could not get a token for ${scope}: ${(e as Error).message ?? String(e)}`, cause: e });
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    async getToken(signal) {
      const t = current;
      if (t && now() < refreshDue(t)) return t.token;
      if (t && now() < t.expiresOnTimestamp - 30_000) {
        // Still valid: refresh but fall back to the old token if the identity endpoint hiccups.
        try {
          return (await fetchToken(signal)).token;
        } catch {
          return t.token;
        }
      }
      return (await fetchToken(signal)).token;
    },
    invalidate() {
      current = undefined;
    },
  };
}

/** The token provider for one credential of one environment. */
export function createTokenProvider(
  credential: Credential,
  orgUrl: string,
  settings: Readonly<Record<string, string | undefined>> = process.env,
): TokenProvider {
  if (credential.type === 'staticToken') return staticTokenProvider(credential.token);
  return cachedTokenProvider(createTokenCredential(credential, settings), dataverseScope(orgUrl));
}
