/**
 * POST /track: one update, or (with batch_processing on) {"updates": [...]}. Stored with a
 * conditional put at the next free millisecond; parked on the queue (202) when DynamoDB refuses it
 * after the SDK's retries; 503 only when the queue refuses it too.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'crypto';
import { LIMITS, METRICS } from '../contract';
import { withDeadline } from '../deadline';
import { ParkingError, type ParkingQueue } from '../park';
import type { ApiRequest } from '../request';
import { RequestError, errorResponse, jsonResponse, type ErrorDetail } from '../responses';
import type { Settings } from '../settings';
import { statusShard } from '../shard';
import { WriteRefusedError, type TrackingItem, type TrackingStore } from '../store';
import { BODY_FIELD, isBatchBody, isPlainObject, validateBatch, validateUpdate, type TrackingUpdate } from '../validation';

/** Time kept back for parking when the write phase runs long. */
const PARK_RESERVE_MS = 2500;
/** Time kept back for answering when parking runs long. */
const ANSWER_RESERVE_MS = 300;
const MIN_PHASE_MS = 250;

export type RouteLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface TrackDeps {
  store: TrackingStore;
  parking: ParkingQueue;
  settings: () => Promise<Settings>;
  environment: string;
  statusShardCount: number;
  count: (metric: string, value?: number) => void;
  logger: RouteLogger;
  annotate: (trackingId: string) => void;
}

type Outcome = 'stored' | 'queued' | 'rejected';

interface UpdateResult {
  outcome: Outcome;
  item: TrackingItem;
}

function mediaType(header: string | undefined): { type?: string; charset?: string } {
  if (header === undefined) return {};
  const [type, ...params] = header.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const [key, value] = param.split('=');
    if (key?.trim().toLowerCase() === 'charset') charset = value?.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

/** 415 / 400 / 413 / 400: the checks before validation, in the order a client can act on them. */
function readBody(request: ApiRequest, maxBytes: number): unknown {
  const { type, charset } = mediaType(request.headers['content-type']);
  // No Content-Type: API Gateway treats the body as application/json, and so does the handler.
  if (type !== undefined && type !== 'application/json') {
    throw new RequestError(415, `Content-Type must be application/json, got ${JSON.stringify(type)}`);
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new RequestError(415, `the body must be UTF-8 encoded JSON, got charset ${JSON.stringify(charset)}`);
  }
  if (request.body === null || request.body === '') throw new RequestError(400, 'request body is required');
  // A plain body is measured without copying it; a base64 one has to be decoded anyway.
  const decoded = request.isBase64Encoded ? Buffer.from(request.body, 'base64') : undefined;
  const size = decoded ? decoded.length : Buffer.byteLength(request.body, 'utf8');
  if (size > maxBytes) {
    throw new RequestError(413, `request body is ${size} bytes; the limit is ${maxBytes}`);
  }
  try {
    return JSON.parse(decoded ? decoded.toString('utf8') : request.body);
  } catch (error) {
    throw new RequestError(400, 'request body is not valid JSON', [{ field: BODY_FIELD, message: (error as Error).message }]);
  }
}

function invalid(problems: ErrorDetail[]): never {
  throw new RequestError(400, 'request body is invalid', problems);
}

export async function postTrack(request: ApiRequest, deps: TrackDeps): Promise<APIGatewayProxyResult> {
  const { config, flags } = await deps.settings();
  const body = readBody(request, Math.min(config.max_request_size, LIMITS.dynamoItemMaxBytes));
  if (!isPlainObject(body)) invalid([{ field: BODY_FIELD, message: 'must be a JSON object' }]);

  const batch = isBatchBody(body);
  if (batch && !flags.batch_processing) {
    throw new RequestError(400, 'batch processing is disabled', [{ field: 'updates', message: 'batch processing is disabled; send one update per request' }]);
  }
  let updates: TrackingUpdate[];
  if (batch) {
    const result = validateBatch(body);
    if (!result.ok) invalid(result.problems);
    updates = result.value;
  } else {
    const result = validateUpdate(body);
    if (!result.ok) invalid(result.problems);
    updates = [result.value];
  }

  const acceptedAt = Date.now();
  const items = updates.map((update) => toItem(update, acceptedAt, request, deps, flags.enhanced_tracking));
  const distinct = new Set(items.map((item) => item.tracking_id));
  if (distinct.size === 1) deps.annotate(items[0].tracking_id);

  const budgetMs = request.remainingMs ? request.remainingMs() : config.timeout * 1000;
  // Writes must end in time to park; parking (only on a refused write) in time to answer.
  const parkBy = Date.now() + budgetMs - ANSWER_RESERVE_MS;
  const results = await withDeadline(Math.max(MIN_PHASE_MS, budgetMs - PARK_RESERVE_MS), (writeSignal) => storeAll(items, deps, writeSignal, parkBy));

  return batch ? batchResponse(results, request.requestId) : singleResponse(results[0], request.requestId);
}

function toItem(update: TrackingUpdate, acceptedAt: number, request: ApiRequest, deps: TrackDeps, enhanced: boolean): TrackingItem {
  const item: TrackingItem = {
    tracking_id: update.tracking_id,
    timestamp: acceptedAt,
    status: update.status,
    status_shard: statusShard(update.status, update.tracking_id, deps.statusShardCount),
    location: { lat: update.location.lat, lng: update.location.lng },
    environment: deps.environment,
    created_at: new Date(acceptedAt).toISOString(),
    update_id: randomUUID(),
  };
  if (update.metadata !== undefined) item.metadata = update.metadata;
  if (enhanced) {
    if (request.callerArn) item.caller_arn = request.callerArn;
    item.request_id = request.requestId;
  }
  return item;
}

/**
 * Updates of one shipment are stored one after the other, in request order, each after the previous
 * one's timestamp (so a batch keeps its order newest-first); different shipments in parallel.
 */
async function storeAll(items: TrackingItem[], deps: TrackDeps, writeSignal: AbortSignal, parkBy: number): Promise<UpdateResult[]> {
  const results: UpdateResult[] = new Array(items.length);
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => groups.set(item.tracking_id, [...(groups.get(item.tracking_id) ?? []), index]));
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      let previous: number | undefined;
      for (const index of indexes) {
        const item = previous === undefined ? items[index] : { ...items[index], timestamp: Math.max(items[index].timestamp, previous + 1) };
        results[index] = await storeOrPark(item, deps, writeSignal, parkBy);
        previous = results[index].item.timestamp;
      }
    }),
  );
  return results;
}

/** `parkBy`: the time (ms since the epoch) by which parking must be done. */
async function storeOrPark(item: TrackingItem, deps: TrackDeps, writeSignal: AbortSignal, parkBy: number): Promise<UpdateResult> {
  try {
    const stored = await deps.store.put(item, { abortSignal: writeSignal });
    deps.count(METRICS.updateStored);
    return { outcome: 'stored', item: stored.item };
  } catch (error) {
    if (!(error instanceof WriteRefusedError)) throw error;
    // (`timestamp` is a reserved key of the Powertools log record.)
    const context = { tracking_id: error.item.tracking_id, update_timestamp: error.item.timestamp, reason: error.reason };
    deps.logger.warn('DynamoDB refused the update; parking it on the queue', { ...context, error: error.cause ?? error });
    try {
      await withDeadline(Math.max(MIN_PHASE_MS, parkBy - Date.now()), (parkSignal) => deps.parking.park(error.item, error.reason, parkSignal));
      deps.count(METRICS.updateParked);
      return { outcome: 'queued', item: error.item };
    } catch (parkError) {
      if (!(parkError instanceof ParkingError)) throw parkError;
      deps.logger.error('the queue refused the update too; the client must retry', { ...context, error: parkError.cause ?? parkError });
      deps.count(METRICS.updateLost);
      return { outcome: 'rejected', item: error.item };
    }
  }
}

const RETRY_AFTER = { 'Retry-After': '1' };

function singleResponse(result: UpdateResult, requestId: string): APIGatewayProxyResult {
  const { tracking_id, timestamp } = result.item;
  switch (result.outcome) {
    case 'stored':
      return jsonResponse(200, { message: 'tracking update stored', tracking_id, timestamp });
    case 'queued':
      return jsonResponse(202, { message: 'tracking update accepted and queued for storage', tracking_id, timestamp, queued: true });
    case 'rejected':
      return errorResponse(503, 'tracking update could not be stored; retry later', requestId, { headers: RETRY_AFTER });
  }
}

function batchResponse(results: UpdateResult[], requestId: string): APIGatewayProxyResult {
  const summary = results.map(({ outcome, item }) => ({ tracking_id: item.tracking_id, timestamp: item.timestamp, outcome }));
  const tally = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const stored = tally('stored');
  const queued = tally('queued');
  const rejected = tally('rejected');
  if (rejected > 0) {
    const details = results.flatMap((r, index) =>
      r.outcome === 'rejected' ? [{ field: `updates[${index}]`, message: 'could not be stored or queued; retry this update' }] : [],
    );
    return errorResponse(503, `${rejected} of ${results.length} tracking updates could not be stored; retry those`, requestId, {
      details,
      headers: RETRY_AFTER,
      extra: { results: summary },
    });
  }
  const message = queued > 0 ? `${stored} tracking updates stored, ${queued} queued for storage` : `${stored} tracking updates stored`;
  return jsonResponse(queued > 0 ? 202 : 200, { message, count: results.length, stored, queued, results: summary });
}
