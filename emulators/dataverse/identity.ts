/**
 * Callers (Learn: authenticate-oauth): every request needs `Authorization: Bearer …`. The caller is the
 * JWT's `oid` (else `sub`) claim, decoded without verification, or the raw token. Each distinct caller
 * becomes an application user: a systemuser row created on first sight in each environment.
 */
import { createHash } from 'node:crypto';
import { dvErrors } from './errors';
import type { Environment } from './store/environment';
import type { AppUser, RequestContext, Row } from './types';

export function principalOf(authorization: string | undefined, resource: string): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) {
    throw dvErrors.unauthorized(
      authorization
        ? 'The Authorization header must be "Bearer <access token>".'
        : 'The request has no Authorization header; send "Authorization: Bearer <access token>".',
      resource,
    );
  }
  const token = m[1];
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { oid?: unknown; sub?: unknown };
      const id = typeof claims.oid === 'string' ? claims.oid : typeof claims.sub === 'string' ? claims.sub : undefined;
      if (id) return id;
    } catch {
      // not a JWT payload: the token string itself identifies the caller
    }
  }
  return token;
}

/** Deterministic systemuserid for a principal in an environment. */
function userId(env: Environment, principal: string): string {
  const h = createHash('sha1').update(`${env.info.organizationId}/${principal}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The app user for `principal`, creating its systemuser row on first sight (outside the request's costs and events). */
export function ensureUser(env: Environment, principal: string, systemCtx: (user: AppUser) => RequestContext): AppUser {
  const id = userId(env, principal);
  const name = principal.length > 40 ? `app-${principal.slice(0, 8)}` : principal;
  const user: AppUser = { systemUserId: id, principal, name };
  if (!env.getRow('systemuser', id)) {
    const sysuser = env.table('systemuser')!;
    const values: Row = { [sysuser.primaryId]: id };
    if (sysuser.columns.has('fullname')) values.fullname = `# ${name}`;
    if (sysuser.columns.has('applicationid') && /^[0-9a-f-]{36}$/i.test(principal)) values.applicationid = principal.toLowerCase();
    if (sysuser.columns.has('azureactivedirectoryobjectid') && /^[0-9a-f-]{36}$/i.test(principal))
      values.azureactivedirectoryobjectid = principal.toLowerCase();
    if (sysuser.columns.has('businessunitid')) values.businessunitid = { id: env.info.businessUnitId, table: 'businessunit' };
    env.create(systemCtx(user), 'systemuser', values);
  }
  return user;
}
