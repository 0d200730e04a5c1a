/**
 * GET /shipments?status=S&limit=N&cursor=C[&updated_before=T][&updated_after=T]: the shipments whose
 * CURRENT status is S (their state records), latest `updated_at` first, page by page. The bounds
 * are RFC 3339 instants, each strict: "in transit and not updated for 48 hours" is one request. The
 * cursor is bound to the status and both bounds (lambda/cursor.ts); the read is lambda/listing.ts.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { LIMITS, METRICS, STATUSES, type TrackingStatus } from '../contract';
import { CursorError, decodeListingCursor, encodeListingCursor, type ListingScope } from '../cursor';
import { queryBudget, withDeadline } from '../deadline';
import type { ListingQuery, StatusListing } from '../listing';
import { pageSize, repeatedParameters, type ApiRequest } from '../request';
import { RequestError, jsonResponse, unavailableResponse, type ErrorDetail } from '../responses';
import { publicState } from '../state';
import { ReadUnavailableError } from '../store';
import { parseInstant } from '../validation';

export interface ShipmentsDeps {
  listing: StatusListing;
  count: (metric: string, value?: number) => void;
  logger: Pick<Logger, 'error'>;
}

const PARAMETERS = ['status', 'limit', 'cursor', 'updated_before', 'updated_after'] as const;

function isStatus(value: string): value is TrackingStatus {
  return (STATUSES as readonly string[]).includes(value);
}

/** An optional RFC 3339 bound (epoch ms); a problem when it is not one. */
function bound(request: ApiRequest, name: string, problems: ErrorDetail[]): number | undefined {
  const raw = request.query[name];
  if (raw === undefined) return undefined;
  const parsed = parseInstant(raw);
  if (parsed.ok) return parsed.ms;
  problems.push({ field: name, message: parsed.message });
  return undefined;
}

function parseQuery(request: ApiRequest): { query: ListingQuery; scope: ListingScope } {
  const problems = repeatedParameters(request, PARAMETERS);
  if (problems.length > 0) throw new RequestError(400, 'invalid query parameters', problems);

  const status = request.query.status;
  if (status === undefined) problems.push({ field: 'status', message: 'is required' });
  else if (!isStatus(status)) problems.push({ field: 'status', message: `must be one of: ${STATUSES.join(', ')}` });

  const limit = pageSize(
    request,
    'limit',
    { min: LIMITS.listPageSizeMin, max: LIMITS.listPageSizeMax, fallback: LIMITS.listPageSizeDefault },
    problems,
  );
  const before = bound(request, 'updated_before', problems);
  const after = bound(request, 'updated_after', problems);
  if (before !== undefined && after !== undefined && after >= before) {
    problems.push({ field: 'updated_after', message: 'must be earlier than updated_before' });
  }
  if (problems.length > 0) throw new RequestError(400, 'invalid query parameters', problems);

  const scope: ListingScope = { status: status as TrackingStatus, before, after };
  let afterKey: string | undefined;
  const cursor = request.query.cursor;
  if (cursor !== undefined) {
    try {
      afterKey = decodeListingCursor(cursor, scope);
    } catch (error) {
      if (!(error instanceof CursorError)) throw error;
      throw new RequestError(400, 'invalid query parameters', [{ field: 'cursor', message: error.message }]);
    }
  }
  return { query: { status: scope.status, limit, before, after, afterKey }, scope };
}

export async function getShipments(request: ApiRequest, deps: ShipmentsDeps): Promise<APIGatewayProxyResult> {
  const { query, scope } = parseQuery(request);

  let page;
  try {
    page = await withDeadline(queryBudget(request.remainingMs?.()), (signal) => deps.listing.page(query, signal));
  } catch (error) {
    if (!(error instanceof ReadUnavailableError)) throw error;
    deps.logger.error(
      error.kind === 'configuration'
        ? 'DynamoDB refused a shard query of the listing: the stack is misconfigured'
        : 'DynamoDB refused a shard query of the listing',
      { status: query.status, error: error.cause ?? error },
    );
    if (error.kind === 'configuration') deps.count(METRICS.configurationError);
    deps.count(METRICS.shipmentsUnavailable);
    return unavailableResponse('the shipment listing is temporarily unavailable; retry later', request.requestId);
  }

  deps.count(METRICS.shipmentsListed);
  const body: Record<string, unknown> = {
    status: query.status,
    shipments: page.records.map(publicState),
    count: page.records.length,
  };
  if (page.nextKey !== undefined) body.next_cursor = encodeListingCursor(scope, page.nextKey);
  return jsonResponse(200, body);
}
