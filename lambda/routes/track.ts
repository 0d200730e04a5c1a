/**
 * POST /track: one update, or (with batch_processing on) {"updates": [...]}, each with an optional
 * `event_time` (a real instant, at most LIMITS.eventTimeMaxFutureMs ahead, at most
 * config.max_event_age_days old; absent = the accept time). Stored with a
 * conditional put at the next free millisecond; parked on the queue (202) when DynamoDB refuses it
 * after the SDK's retries; 503 only when the queue refuses it too (see intake.ts).
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { LIMITS } from '../contract';
import { writeBudget } from '../deadline';
import type { IntakeResult, Outcome, UpdateIntake } from '../intake';
import { isPlainObject } from '../plain-object';
import { readJsonBody, type ApiRequest } from '../request';
import { BODY_FIELD, RequestError, jsonResponse, unavailableResponse, type ErrorDetail } from '../responses';
import type { Settings } from '../settings';
import { isBatchBody, validateBatch, validateUpdate, type EventTimeWindow, type TrackingUpdate } from '../validation';

export interface TrackDeps {
  intake: UpdateIntake;
  settings: () => Promise<Settings>;
  annotate: (trackingId: string) => void;
}

function invalid(problems: ErrorDetail[]): never {
  throw new RequestError(400, 'request body is invalid', problems);
}

/**
 * The updates of a body: one, or a batch's (only with batch processing on); else RequestError 400.
 * `window`: where an `event_time` must lie.
 */
function validUpdates(
  body: unknown,
  batchProcessing: boolean,
  window: EventTimeWindow,
): { batch: boolean; updates: TrackingUpdate[] } {
  if (!isPlainObject(body)) invalid([{ field: BODY_FIELD, message: 'must be a JSON object' }]);

  const batch = isBatchBody(body);
  if (batch && !batchProcessing) {
    throw new RequestError(400, 'batch processing is disabled', [
      { field: 'updates', message: 'batch processing is disabled; send one update per request' },
    ]);
  }
  if (batch) {
    const result = validateBatch(body, window);
    if (!result.ok) invalid(result.problems);
    return { batch, updates: result.value };
  }
  const result = validateUpdate(body, window);
  if (!result.ok) invalid(result.problems);
  return { batch, updates: [result.value] };
}

export async function postTrack(request: ApiRequest, deps: TrackDeps): Promise<APIGatewayProxyResult> {
  const { config, flags } = await deps.settings();
  const body = readJsonBody(request, Math.min(config.max_request_size, LIMITS.dynamoItemMaxBytes));
  const window = { now: Date.now(), maxAgeDays: config.max_event_age_days };
  const { batch, updates } = validUpdates(body, flags.batch_processing, window);

  const distinct = new Set(updates.map((update) => update.tracking_id));
  if (distinct.size === 1) deps.annotate(updates[0].tracking_id);

  const sender = { requestId: request.requestId, callerArn: request.callerArn, enhanced: flags.enhanced_tracking };
  const results = await deps.intake.accept(updates, sender, writeBudget(request.remainingMs?.(), config.timeout));

  return batch ? batchResponse(results, request.requestId) : singleResponse(results[0], request.requestId);
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
    const details = results.flatMap((r, index) =>
      r.outcome === 'rejected'
        ? [{ field: `updates[${index}]`, message: 'could not be stored or queued; retry this update' }]
        : [],
    );
    return unavailableResponse(
      `${rejected} of ${results.length} tracking updates could not be stored; retry those`,
      requestId,
      {
        details,
        extra: { results: summary },
      },
    );
  }
  const message =
    queued > 0
      ? `${stored} tracking updates stored, ${queued} queued for storage`
      : `${stored} tracking updates stored`;
  return jsonResponse(queued > 0 ? 202 : 200, { message, count: results.length, stored, queued, results: summary });
}
