/** A field path as people read it in error messages (zod issue paths, payload positions). */

/** `['InputParameters', 0, 'value', 'Attributes', 3]` → `InputParameters[0].value.Attributes[3]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$@.-]*$/.test(p) && !p.includes('.')) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(root)';
}

/** One problem found in a payload, at a path in formatPath's form. */
export interface PathProblem {
  path: string;
  message: string;
}
