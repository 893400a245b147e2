/**
 * Dataverse environments the app talks to, from the DVSYNC_ENVIRONMENTS app setting (JSON).
 * Each environment has one or more application users ("credentials"): the write engine spreads load
 * over them and routes around a throttled one (one throttle lane per environment × user).
 *
 * Example:
 * {
 *   "source": { "url": "https://contoso.crm4.dynamics.com", "organizationId": "<guid>",
 *               "credentials": [{ "type": "managedIdentity" }] },
 *   "target": { "url": "https://fabrikam.crm4.dynamics.com", "organizationId": "<guid>",
 *               "credentials": [{ "type": "clientSecret", "tenantId": "…", "clientId": "…", "clientSecretSetting": "TARGET_SECRET_1" },
 *                               { "type": "clientSecret", "tenantId": "…", "clientId": "…", "clientSecretSetting": "TARGET_SECRET_2" }] }
 * }
 * Secrets are never inline: `clientSecretSetting` names another app setting (a Key Vault reference in Azure).
 */
import { z } from 'zod';

export const credentialSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('clientSecret'), tenantId: z.string().min(1), clientId: z.string().min(1), clientSecretSetting: z.string().min(1) }).strict(),
  /** Without clientId: the app's identity (AZURE_CLIENT_ID when set, else system-assigned; see settings.ts withAppIdentity). */
  z.object({ type: z.literal('managedIdentity'), clientId: z.guid().optional() }).strict(),
  z.object({ type: z.literal('defaultAzureCredential') }).strict(),
  /** Local emulator only: a fixed bearer token (its text names the emulated application user). */
  z.object({ type: z.literal('staticToken'), token: z.string().min(1) }).strict(),
]);

export const environmentSchema = z
  .object({
    /** Organization URL, e.g. https://contoso.crm4.dynamics.com (the Web API base is derived from it). */
    url: z.string().url(),
    /** Web API base URL override (emulators serve several environments under one host). */
    apiBaseUrl: z.string().url().optional(),
    /** The organization id Dataverse puts in webhook payloads (OrganizationId); events from others are refused. */
    // z.guid(), not z.uuid(): real organization ids are not RFC 4122 versioned (e.g. f42a590d-a29d-ef11-…).
    organizationId: z.guid().optional(),
    credentials: z.array(credentialSchema).min(1),
  })
  .strict();

export const environmentsSchema = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), environmentSchema);

export type Credential = z.infer<typeof credentialSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type Environments = z.infer<typeof environmentsSchema>;

/** The Web API base (always ending in "/"), e.g. https://contoso.crm4.dynamics.com/api/data/v9.2/ */
export function webApiBase(env: EnvironmentConfig): string {
  const base = env.apiBaseUrl ?? new URL('/api/data/v9.2/', env.url).toString();
  return base.endsWith('/') ? base : `${base}/`;
}
