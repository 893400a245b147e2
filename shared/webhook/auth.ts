/**
 * Optional HttpHeader authentication (Dataverse authtype 5), on top of the function key the host checks.
 * Several secrets can be active at once so a secret can be rotated without downtime.
 * Comparison is constant-time over fixed-length SHA-256 digests (timingSafeEqual needs equal lengths,
 * and comparing digests hides the secret's length). Every configured secret is compared, always.
 */
import { createHash, timingSafeEqual } from 'crypto';

export interface HeaderAuthOptions {
  /** Lower-case header name, e.g. `x-dvsync-secret`. */
  headerName: string;
  /** Active secrets; empty disables header auth. */
  secrets: string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class HeaderAuthenticator {
  private readonly digests: Buffer[];
  constructor(private readonly options: HeaderAuthOptions) {
    this.digests = options.secrets.map(digest);
  }
  get enabled(): boolean {
    return this.digests.length > 0;
  }
  /** True when auth is disabled or the header matches one active secret. */
  verify(headerValue: string | null | undefined): boolean {
    if (!this.enabled) return true;
    const presented = digest(headerValue ?? '');
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(presented, d) || ok;
    return ok && typeof headerValue === 'string' && headerValue.length > 0;
  }
  get headerName(): string {
    return this.options.headerName;
  }
}
