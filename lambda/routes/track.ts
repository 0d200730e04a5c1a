/**
 * POST /track (one update) and POST /track/batch ({"updates": [...]}, only with batch_processing on),
 * each update with an optional `event_time` (a real instant, at most LIMITS.eventTimeMaxFutureMs
 * ahead, at most config.max_event_age_days old; absent = the accept time). Stored with a conditional
 * put at the next free millisecond; parked on the queue (202) when DynamoDB refuses it after the
 * SDK's retries; 503 only when the queue refuses it too (see intake.ts). With an `Idempotency-Key`
 * header, a retry gets the first answer again (idempotency.ts).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { IDEMPOTENCY, LIMITS, ROUTES } from '../contract';
import { writeBudget } from '../deadline';
import { idempotencyKey, type IdempotencyStore } from '../idempotency';
import type { IntakeResult, Outcome, UpdateIntake } from '../intake';
import { isPlainObject } from '../plain-object';
import { readJsonBody, type ApiRequest } from '../request';
import {
  BODY_FIELD,
  RETRY_AFTER_SECONDS,
  RequestError,
  errorResponse,
  jsonResponse,
  unavailableResponse,
  type ErrorDetail,
} from '../responses';
import type { Settings } from '../settings';
import { isBatchBody, validateBatch, validateUpdate, type TrackingUpdate } from '../validation';

export interface TrackDeps {
  intake: UpdateIntake;
  settings: () => Promise<Settings>;
  annotate: (trackingId: string) => void;
  /** Undefined when the function has no idempotency table (a request with the header is then a 500). */
  idempotency?: IdempotencyStore;
}

type TrackRoute = 'track' | 'trackBatch';

function invalid(problems: ErrorDetail[]): never {
  throw new RequestError(400, 'request body is invalid', problems);
}

/** The updates of a body sent to `route`; else RequestError 400. */
function validUpdates(
  route: TrackRoute,
  body: unknown,
  flags: Settings['flags'],
  window: { now: number; maxAgeDays: number },
): TrackingUpdate[] {
  if (!isPlainObject(body)) invalid([{ field: BODY_FIELD, message: 'must be a JSON object' }]);
  const batch = isBatchBody(body);
  if (route === 'track') {
    if (batch) {
      throw new RequestError(400, `a batch goes to POST ${ROUTES.trackBatch.path}`, [
        {
          field: 'updates',
          message: `POST ${ROUTES.track.path} takes one update; send batches to POST ${ROUTES.trackBatch.path}`,
        },
      ]);
    }
    const result = validateUpdate(body, window);
    if (!result.ok) invalid(result.problems);
    return [result.value];
  }
  if (!flags.batch_processing) {
    throw new RequestError(400, 'batch processing is disabled', [
      { field: 'updates', message: `batch processing is disabled; send one update per POST ${ROUTES.track.path}` },
    ]);
  }
  if (!batch) {
    throw new RequestError(400, `POST ${ROUTES.trackBatch.path} takes {"updates": [...]}`, [
      { field: 'updates', message: `is required; send a single update to POST ${ROUTES.track.path}` },
    ]);
  }
  const result = validateBatch(body, window);
  if (!result.ok) invalid(result.problems);
  return result.value;
}

export async function postTrack(
  route: TrackRoute,
  request: ApiRequest,
  deps: TrackDeps,
): Promise<APIGatewayProxyResult> {
  const key = idempotencyKey(request);
  const { config, flags } = await deps.settings();
  const body = readJsonBody(request, Math.min(config.max_request_size, LIMITS.dynamoItemMaxBytes));
  const updates = validUpdates(route, body, flags, { now: Date.now(), maxAgeDays: config.max_event_age_days });

  const distinct = new Set(updates.map((update) => update.tracking_id));
  if (distinct.size === 1) deps.annotate(updates[0].tracking_id);

  const accept = async () => {
    const sender = { requestId: request.requestId, callerArn: request.callerArn, enhanced: flags.enhanced_tracking };
    const results = await deps.intake.accept(updates, sender, writeBudget(request.remainingMs?.(), config.timeout));
    const response =
      route === 'trackBatch'
        ? batchResponse(results, request.requestId)
        : singleResponse(results[0], request.requestId);
    return { response, remember: results.every((r) => r.outcome !== 'rejected') };
  };
  if (key === undefined) return (await accept()).response;
  if (!deps.idempotency) {
    throw new Error(`the function has no idempotency table configured; cannot honour ${IDEMPOTENCY.header}`);
  }

  const outcome = await deps.idempotency.run(
    { callerArn: request.callerArn, key, route: ROUTES[route].path, body },
    accept,
  );
  switch (outcome.kind) {
    case 'answered':
      return outcome.response;
    case 'in-progress':
      return errorResponse(
        409,
        `a request with this ${IDEMPOTENCY.header} is still in progress; retry shortly`,
        request.requestId,
        {
          details: [{ field: IDEMPOTENCY.header, message: 'another request with this key has not finished yet' }],
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        },
      );
    case 'conflict':
      return errorResponse(
        422,
        `this ${IDEMPOTENCY.header} was already used for a different request`,
        request.requestId,
        {
          details: [
            {
              field: IDEMPOTENCY.header,
              message: `was used within ${IDEMPOTENCY.ttlSeconds / 3600} hours with another body or route; use a new key for a new request`,
            },
          ],
        },
      );
    case 'unavailable':
      return unavailableResponse(
        'the idempotency record could not be written; nothing was stored; retry later',
        request.requestId,
      );
  }
}

function singleResponse(result: IntakeResult, requestId: string): APIGatewayProxyResult {
  const { tracking_id, timestamp } = result.item;
  switch (result.outcome) {
    case 'stored':
      return jsonResponse(200, { message: 'tracking update stored', tracking_id, timestamp });
    case 'queued':
      return jsonResponse(202, {
        message: 'tracking update accepted and queued for storage',
        tracking_id,
        timestamp,
        queued: true,
      });
    case 'rejected':
      return unavailableResponse('tracking update could not be stored; retry later', requestId);
  }
}

function batchResponse(results: IntakeResult[], requestId: string): APIGatewayProxyResult {
  const summary = results.map(({ outcome, item }) => ({
    tracking_id: item.tracking_id,
    timestamp: item.timestamp,
    outcome,
  }));
  const tally = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const stored = tally('stored');
  const queued = tally('queued');
  const rejected = tally('rejected');
  if (rejected > 0) {
    // The error shape: the rejected updates are named; the others are kept (stored or queued).
    const details = results.flatMap((r, index) =>
      r.outcome === 'rejected'
        ? [{ field: `updates[${index}]`, message: 'could not be stored or queued; retry this update' }]
        : [],
    );
    const error =
      rejected === results.length
        ? `no tracking update could be stored; retry ${rejected === 1 ? 'it' : 'them'}`
        : `${rejected} of ${results.length} tracking updates could not be stored; retry those (the others are kept)`;
    return unavailableResponse(error, requestId, { details });
  }
  const updates = (n: number) => `${n} tracking ${n === 1 ? 'update' : 'updates'}`;
  const message = queued > 0 ? `${updates(stored)} stored, ${queued} queued for storage` : `${updates(stored)} stored`;
  return jsonResponse(queued > 0 ? 202 : 200, { message, count: results.length, stored, queued, results: summary });
}
