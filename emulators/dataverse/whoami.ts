/**
 * `GET WhoAmI` (the function Microsoft's samples call to read x-ms-dop-hint, Learn: send-parallel-requests).
 * Any other method answers 404 with an empty code (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: "POST to WhoAmI").
 */
import { charge } from './cost';
import { dvErrors } from './errors';
import { JSON_CONTENT_TYPE } from './prefer';
import type { Handler } from './types';

export const whoAmIHandler: Handler = async (req, ctx) => {
  if (req.path !== 'WhoAmI' && req.path !== 'WhoAmI()') return undefined;
  if (req.method !== 'GET') throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
  charge(ctx, 'metadata');
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify({
      '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: ctx.env.info.businessUnitId,
      UserId: ctx.user.systemUserId,
      OrganizationId: ctx.env.info.organizationId,
    }),
  };
};
