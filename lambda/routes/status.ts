/**
 * GET /status?tracking_id=..&limit=..&last_key=..: a shipment's updates, newest first (by arrival),
 * page by page, and its `current` state when the stream consumer has written its state record. Both
 * are read in parallel, with Queries (the state record is never one of the `updates`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { LIMITS, METRICS } from '../contract';
import { CursorError, decodeCursor, encodeCursor } from '../cursor';
import { queryBudget, withDeadline } from '../deadline';
import { pageSize, repeatedParameters, type ApiRequest } from '../request';
import { RequestError, errorResponse, jsonResponse, unavailableResponse, type ErrorDetail } from '../responses';
import { publicState } from '../state';
import { ReadUnavailableError, type StoredHistoryItem, type TrackingStore } from '../store';
import { trackingIdProblems } from '../validation';

export interface StatusDeps {
  store: TrackingStore;
  count: (metric: string, value?: number) => void;
  logger: Pick<Logger, 'error'>;
  annotate: (trackingId: string) => void;
}

/**
 * What a reader sees of an item: everything but the table's internal keys (items of the previous
 * version carry `status_shard`, and no `event_time`: theirs is when the API accepted them), and
 * `caller_arn` only when the reader is the very caller that posted it: an IAM ARN names an account
 * and a user or role (often a person), which one carrier must not learn of another. `request_id`
 * is the API's own id and is kept. The stored item is left as it is.
 */
function publicView(item: StoredHistoryItem, readerArn: string | undefined) {
  const { tracking_id: _id, status_shard: _shard, update_id: _uid, caller_arn: callerArn, ...rest } = item;
  const view: Record<string, unknown> = { ...rest, event_time: item.event_time ?? item.created_at };
  if (callerArn !== undefined && readerArn !== undefined && callerArn === readerArn) view.caller_arn = callerArn;
  return view;
}

interface StatusQuery {
  trackingId: string;
  limit: number;
  after?: number;
}

function parseQuery(request: ApiRequest): StatusQuery {
  const problems: ErrorDetail[] = repeatedParameters(request, ['tracking_id', 'limit', 'last_key']);
  if (problems.length > 0) throw new RequestError(400, 'invalid query parameters', problems);

  const trackingId = request.query.tracking_id;
  if (trackingId === undefined) problems.push({ field: 'tracking_id', message: 'is required' });
  else problems.push(...trackingIdProblems(trackingId));

  const limit = pageSize(
    request,
    'limit',
    { min: LIMITS.pageSizeMin, max: LIMITS.pageSizeMax, fallback: LIMITS.pageSizeDefault },
    problems,
  );

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

  let page, state;
  try {
    [page, state] = await withDeadline(queryBudget(request.remainingMs?.()), (signal) =>
      Promise.all([deps.store.newestFirst(trackingId, limit, after, signal), deps.store.stateOf(trackingId, signal)]),
    );
  } catch (error) {
    if (!(error instanceof ReadUnavailableError)) throw error;
    deps.logger.error(
      error.kind === 'configuration'
        ? 'DynamoDB refused the status query: the stack is misconfigured'
        : 'DynamoDB refused the status query',
      { tracking_id: trackingId, error: error.cause ?? error },
    );
    if (error.kind === 'configuration') deps.count(METRICS.configurationError);
    deps.count(METRICS.statusUnavailable);
    return unavailableResponse('tracking history is temporarily unavailable; retry later', request.requestId);
  }

  if (page.items.length === 0 && after === undefined) {
    deps.count(METRICS.statusNotFound);
    return errorResponse(404, `no tracking updates for tracking_id ${JSON.stringify(trackingId)}`, request.requestId);
  }
  deps.count(METRICS.statusRetrieved);
  const body: Record<string, unknown> = { tracking_id: trackingId };
  if (state) body.current = publicState(state);
  body.updates = page.items.map((item) => publicView(item, request.callerArn));
  body.count = page.items.length;
  if (page.lastTimestamp !== undefined) body.next_key = encodeCursor(trackingId, page.lastTimestamp);
  return jsonResponse(200, body);
}
