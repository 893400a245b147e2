/**
 * `$ref` associate / disassociate (Learn: webapi/associate-disassociate-entities-using-web-api): POST or DELETE on collection-valued
 * navigation properties (1:N and N:N), PUT or DELETE on single-valued ones. All answer 204.
 */
import { charge } from '../cost';
import { dvErrors } from '../errors';
import { parsePath } from '../path';
import type { NavigationDef, TableDef } from '../schema/model';
import type { DvRequest, Handler, RequestContext, Row } from '../types';
import { parseJsonObject } from './body';
import { findRow, notFound, resolveKey, resolveReference } from './resolve';

export const refHandler: Handler = async (req, ctx) => {
  const segs = parsePath(req.path);
  if (segs.length !== 3 || segs[2].name !== '$ref' || !segs[0].key) return undefined;
  const table = ctx.env.tableBySet(segs[0].name);
  if (!table) return undefined;
  const nav = table.navigation.get(segs[1].name);
  if (!nav) throw dvErrors.resourceNotFound(segs[1].name);
  const key = resolveKey(table, segs[0].key);
  const row = findRow(ctx.env, table, key);
  if (!row) throw notFound(table, key);
  const id = String(row[table.primaryId]);
  charge(ctx, 'associate');

  if (nav.kind === 'single') {
    if (segs[1].key) throw dvErrors.invalidArgument(`'${nav.name}' is single-valued; address it without a key: ${segs[0].name}(…)/${nav.name}/$ref.`);
    if (req.method === 'PUT') {
      const target = referenced(req, ctx, table, nav.target);
      ctx.env.update(ctx, table.logicalName, id, { [nav.column]: { id: target, table: nav.target } });
    } else if (req.method === 'DELETE') {
      ctx.env.update(ctx, table.logicalName, id, { [nav.column]: null });
    } else {
      throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
    }
    return { status: 204, headers: {} };
  }

  let relatedId: string;
  if (req.method === 'POST') {
    if (segs[1].key) throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
    relatedId = referenced(req, ctx, table, nav.relatedTable);
  } else if (req.method === 'DELETE') {
    const related = ctx.env.table(nav.relatedTable)!;
    if (segs[1].key) {
      const relKey = resolveKey(related, segs[1].key);
      const relRow = findRow(ctx.env, related, relKey);
      if (!relRow) throw notFound(related, relKey);
      relatedId = String(relRow[related.primaryId]);
    } else {
      const $id = req.query.get('$id');
      if (!$id)
        throw dvErrors.invalidArgument(
          `Disassociating through '${nav.name}' needs the related row: add ?$id=<url of the row> or address it as ${nav.name}(<id>)/$ref.`,
        );
      relatedId = checkTable(resolveReference(ctx.env, $id, '$id'), nav.relatedTable);
    }
  } else {
    throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
  }
  await ctx.env.transaction(ctx, () => link(ctx, table, id, nav, relatedId, req.method === 'POST'));
  return { status: 204, headers: {} };
};

function referenced(req: DvRequest, ctx: RequestContext, table: TableDef, expected: string): string {
  const body = parseJsonObject(table, req.body);
  return checkTable(resolveReference(ctx.env, body['@odata.id'], '"@odata.id"'), expected);
}

function checkTable(ref: { table: TableDef; row: Row }, expected: string): string {
  if (ref.table.logicalName !== expected) {
    throw dvErrors.invalidArgument(`The referenced row is a '${ref.table.logicalName}', but this navigation property relates to '${expected}'.`);
  }
  return String(ref.row[ref.table.primaryId]);
}

function link(ctx: RequestContext, table: TableDef, id: string, nav: Exclude<NavigationDef, { kind: 'single' }>, relatedId: string, add: boolean): void {
  if (nav.kind === 'oneToMany') {
    const related = ctx.env.getRow(nav.relatedTable, relatedId)!;
    const current = related[nav.relatedColumn];
    if (!add && !(current && typeof current === 'object' && !Array.isArray(current) && current.id === id))
      throw dvErrors.notFoundById(nav.relatedTable, relatedId);
    ctx.env.update(ctx, nav.relatedTable, relatedId, { [nav.relatedColumn]: add ? { id, table: table.logicalName } : null });
    return;
  }
  const rel = ctx.env.schema.relationships.get(nav.relationship)!;
  const [a, b] = rel.entity1 === table.logicalName ? [id, relatedId] : [relatedId, id];
  ctx.env.associate(ctx, nav.relationship, a, b, add ? 'Associate' : 'Disassociate');
}
