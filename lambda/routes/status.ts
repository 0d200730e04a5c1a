/** GET /status?tracking_id=..&limit=..&last_key=..: a shipment's updates, newest first, page by page. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { LIMITS, METRICS } from '../contract';
import { CursorError, decodeCursor, encodeCursor } from '../cursor';
import { queryBudget, withDeadline } from '../deadline';
import type { ApiRequest } from '../request';
import { RequestError, errorResponse, jsonResponse, unavailableResponse, type ErrorDetail } from '../responses';
import { ReadUnavailableError, type TrackingItem, type TrackingStore } from '../store';
import { trackingIdProblems } from '../validation';

export interface StatusDeps {
  store: TrackingStore;
  count: (metric: string, value?: number) => void;
  logger: Pick<Logger, 'error'>;
  annotate: (trackingId: string) => void;
}

const LIMIT_PATTERN = /^[0-9]{1,3}$/;

/** What a reader sees of an item: everything but the table's internal keys. */
function publicView(item: TrackingItem) {
  const { tracking_id: _id, status_shard: _shard, update_id: _uid, ...view } = item;
  return view;
}

interface StatusQuery {
  trackingId: string;
  limit: number;
  after?: number;
}

function parseQuery(request: ApiRequest): StatusQuery {
  const problems: ErrorDetail[] = [];
  for (const name of ['tracking_id', 'limit', 'last_key']) {
    if ((request.queryAll[name]?.length ?? 0) > 1) problems.push({ field: name, message: 'must be given once' });
  }
  if (problems.length > 0) throw new RequestError(400, 'invalid query parameters', problems);

  const trackingId = request.query.tracking_id;
  if (trackingId === undefined) problems.push({ field: 'tracking_id', message: 'is required' });
  else problems.push(...trackingIdProblems(trackingId));

  let limit: number = LIMITS.pageSizeDefault;
  const rawLimit = request.query.limit;
  if (rawLimit !== undefined) {
    limit = LIMIT_PATTERN.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= LIMITS.pageSizeMin && limit <= LIMITS.pageSizeMax)) {
      problems.push({
        field: 'limit',
        message: `must be an integer from ${LIMITS.pageSizeMin} to ${LIMITS.pageSizeMax}`,
      });
    }
  }

  let after: number | undefined;
  const lastKey = request.query.last_key;
  if (lastKey !== undefined && trackingId !== undefined && problems.length === 0) {
    try {
      after = decodeCursor(lastKey, trackingId);
    } catch (error) {
      if (!(error instanceof CursorError)) throw error;
      problems.push({ field: 'last_key', message: error.message });
    }
  }
  if (problems.length > 0) throw new RequestError(400, 'invalid query parameters', problems);
  return { trackingId: trackingId as string, limit, after };
}

export async function getStatus(request: ApiRequest, deps: StatusDeps): Promise<APIGatewayProxyResult> {
  const { trackingId, limit, after } = parseQuery(request);
  deps.annotate(trackingId);

  let page;
  try {
    page = await withDeadline(queryBudget(request.remainingMs?.()), (signal) =>
      deps.store.newestFirst(trackingId, limit, after, signal),
    );
  } catch (error) {
    if (!(error instanceof ReadUnavailableError)) throw error;
    deps.logger.error('DynamoDB refused the status query', { tracking_id: trackingId, error: error.cause ?? error });
    deps.count(METRICS.statusUnavailable);
    return unavailableResponse('tracking history is temporarily unavailable; retry later', request.requestId);
  }

  if (page.items.length === 0 && after === undefined) {
    deps.count(METRICS.statusNotFound);
    return errorResponse(404, `no tracking updates for tracking_id ${JSON.stringify(trackingId)}`, request.requestId);
  }
  deps.count(METRICS.statusRetrieved);
  const body: Record<string, unknown> = {
    tracking_id: trackingId,
    updates: page.items.map(publicView),
    count: page.items.length,
  };
  if (page.lastTimestamp !== undefined) body.next_key = encodeCursor(trackingId, page.lastTimestamp);
  return jsonResponse(200, body);
}
