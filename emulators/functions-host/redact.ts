/**
 * Keys out of the host's own log lines. A request URL carries the function key as `?code=`, a request may
 * carry it in `x-functions-key`; every line the host composes from a URL, headers or an error about a
 * request goes through here. What a handler logs itself (context.log) is left as it is: the real host does
 * not scrub it either, so a product leak stays visible in tests instead of being hidden locally.
 */

export const REDACTED = '[redacted]';

/** `code=<key>` in a query string (full or relative URL, or a URL inside an error message) → `code=[redacted]`. */
export function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(/([?&;]code=)[^&#\s"'<>]*/gi, `$1${REDACTED}`);
}

/**
 * A whole line: `code=` values, `x-functions-key: …` / `"x-functions-key":"…"` pairs, and every occurrence of
 * the given secrets themselves (raw and URL-encoded), e.g. inside an error message that quotes a URL.
 */
export function redactLine(line: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = redactUrl(line).replace(/(x-functions-key["']?\s*[:=]\s*["']?)[^"'\s,;}]+/gi, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}
