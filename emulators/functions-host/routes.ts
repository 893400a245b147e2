/**
 * HTTP route templates as the Functions host accepts them (ASP.NET route syntax, the subset apps use):
 * literal segments (case-insensitive), `{name}`, `{name?}` (optional, trailing), `{name:constraint}`
 * with constraints int | long | bool | guid | alpha | double, and `{*rest}` (catch-all, last).
 */
export interface RouteParamSpec {
  name: string;
  optional: boolean;
  catchAll: boolean;
  constraint?: (value: string) => boolean;
}

export type Segment = { literal: string } | { param: RouteParamSpec };

export interface CompiledRoute {
  template: string;
  segments: Segment[];
}

const constraints: Record<string, (v: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  double: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
};

export function compileRoute(template: string, functionName: string): CompiledRoute {
  const parts = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((p) => p !== '');
  const segments = parts.map((part, index): Segment => {
    const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?(\?)?\}$/.exec(part);
    if (!m) {
      if (/[{}]/.test(part)) {
        throw new Error(
          `Function "${functionName}": route "${template}" segment "${part}" is not a supported template; use {name}, {name?}, {name:int} or {*rest}.`,
        );
      }
      return { literal: part.toLowerCase() };
    }
    const [, star, name, constraintName, optional] = m;
    const constraint = constraintName ? constraints[constraintName.toLowerCase()] : undefined;
    if (constraintName && !constraint) {
      throw new Error(
        `Function "${functionName}": route "${template}" uses unknown constraint ":${constraintName}"; supported: ${Object.keys(constraints).join(', ')}.`,
      );
    }
    const isLast = index === parts.length - 1;
    if ((star || optional) && !isLast) {
      throw new Error(`Function "${functionName}": route "${template}": only the last segment may be optional or catch-all ("${part}").`);
    }
    return { param: { name, optional: Boolean(optional) || Boolean(star), catchAll: Boolean(star), constraint } };
  });
  return { template, segments };
}

/** Matches a path (below the route prefix, already split and percent-decoded) and returns the params, or undefined. */
export function matchRoute(route: CompiledRoute, pathSegments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i];
    const value = pathSegments[i];
    if ('literal' in segment) {
      if (value === undefined || value.toLowerCase() !== segment.literal) return undefined;
      continue;
    }
    const spec = segment.param;
    if (spec.catchAll) {
      const rest = pathSegments.slice(i).join('/');
      if (rest !== '') params[spec.name] = rest;
      return params;
    }
    if (value === undefined) return spec.optional ? params : undefined;
    if (spec.constraint && !spec.constraint(value)) return undefined;
    params[spec.name] = value;
  }
  return pathSegments.length === route.segments.length ? params : undefined;
}
