/** URI parsing functions, following System.Uri's parts (host lower-cased, default ports by scheme). */
import { FunctionFailure } from '../errors';
import { str } from './args';
import { fn, type FunctionContext, type FunctionTable } from './types';
import type { Value } from '../values';

const DEFAULT_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  ftp: 21,
  ws: 80,
  wss: 443,
  ldap: 389,
  mailto: 25,
  news: 119,
  nntp: 119,
  telnet: 23,
  gopher: 70,
};

function parse(args: Value[], ctx: FunctionContext): URL {
  const text = str(ctx.name, args, 0);
  try {
    const url = new URL(text);
    if (!/^[a-z][a-z0-9+.-]*:/i.test(text.trim())) throw new Error('relative');
    return url;
  } catch {
    throw new FunctionFailure(`The function '${ctx.name}' expects an absolute URI such as 'https://contoso.com/path', got '${text}'.`);
  }
}

export const uriFunctions: FunctionTable = {
  urihost: fn('uriHost', 1, 1, (args, ctx) => parse(args, ctx).hostname),
  uripath: fn('uriPath', 1, 1, (args, ctx) => parse(args, ctx).pathname || '/'),
  uripathandquery: fn('uriPathAndQuery', 1, 1, (args, ctx) => {
    const u = parse(args, ctx);
    return (u.pathname || '/') + u.search;
  }),
  uriport: fn('uriPort', 1, 1, (args, ctx) => {
    const u = parse(args, ctx);
    if (u.port) return Number(u.port);
    const scheme = u.protocol.replace(/:$/, '').toLowerCase();
    return DEFAULT_PORTS[scheme] ?? -1;
  }),
  uriquery: fn('uriQuery', 1, 1, (args, ctx) => parse(args, ctx).search),
  urischeme: fn('uriScheme', 1, 1, (args, ctx) => parse(args, ctx).protocol.replace(/:$/, '').toLowerCase()),
};
