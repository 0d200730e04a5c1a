/**
 * Validation of POST /track bodies and of the tracking_id query parameter, with the contract's
 * draft-04 schemas compiled by Ajv AT BUILD TIME (lambda/generated/validators.ts, written by
 * scripts/generate-validators.ts: no Ajv in the bundle, nothing compiled at init), plus what a
 * schema cannot say but DynamoDB needs: the metadata byte and depth bounds, numbers DynamoDB can
 * store exactly, well-formed UTF-16 strings, no `__proto__` keys at any depth. Every problem is
 * reported, each with its field path and message.
 */
import type { ErrorObject } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { LIMITS, STATUSES, type TRACKING_BATCH_SCHEMA, type TRACKING_UPDATE_SCHEMA } from './contract';
import * as generated from './generated/validators';
import { BODY_FIELD, type ErrorDetail } from './responses';

// The request types are derived from the contract's schemas (type-only: nothing of json-schema-to-ts
// reaches the bundle), so they cannot drift from what the validators accept.

/** One tracking update, as TRACKING_UPDATE_SCHEMA admits it. */
export type TrackingUpdate = FromSchema<typeof TRACKING_UPDATE_SCHEMA>;
export type Location = TrackingUpdate['location'];
/** The status of an update (the schema's enum, i.e. contract.ts STATUSES). */
export type UpdateStatus = TrackingUpdate['status'];
/** A batch body, as TRACKING_BATCH_SCHEMA admits it. */
type TrackingBatch = FromSchema<typeof TRACKING_BATCH_SCHEMA>;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: ErrorDetail[] };

/** A generated Ajv validator: true when valid; else `errors` lists every problem (allErrors). */
interface CompiledValidator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

const updateValidator = generated.validateUpdate as CompiledValidator<TrackingUpdate>;
const batchValidator = generated.validateBatch as CompiledValidator<TrackingBatch>;
const trackingIdValidator = generated.validateTrackingId as CompiledValidator<string>;

/** JSON pointer (`/updates/2/location/lat`) -> field path (`updates[2].location.lat`). */
export function fieldPath(pointer: string, child?: string): string {
  const segments =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) segments.push(child);
  let path = '';
  for (const segment of segments) {
    if (/^[0-9]+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path === '' ? BODY_FIELD : path;
}

function describe(error: ErrorObject): ErrorDetail {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { field: fieldPath(error.instancePath, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return {
        field: fieldPath(error.instancePath, String(params.additionalProperty)),
        message: 'is not an allowed field',
      };
    case 'pattern':
      return { field: fieldPath(error.instancePath), message: 'must not contain control characters' };
    case 'enum':
      return { field: fieldPath(error.instancePath), message: `must be one of: ${STATUSES.join(', ')}` };
    case 'type':
      return { field: fieldPath(error.instancePath), message: `must be ${article(String(params.type))}` };
    default:
      return { field: fieldPath(error.instancePath), message: error.message ?? `fails ${error.keyword}` };
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

// --- What DynamoDB can store ---------------------------------------------------------------------

/** DynamoDB numbers: magnitude 1e-130 .. 1e126; JavaScript keeps integers exact up to 2^53 - 1. */
const MIN_MAGNITUDE = 1e-130;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'must be a finite number';
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER)
    return `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
  if (value !== 0 && Math.abs(value) < MIN_MAGNITUDE)
    return 'is too close to zero to be stored (magnitude below 1e-130)';
  return undefined;
}

function stringProblem(value: string): string | undefined {
  return LONE_SURROGATE.test(value) ? 'must be valid Unicode (no unpaired surrogates)' : undefined;
}

/** Walks a metadata value: keys, strings, numbers and depth DynamoDB can hold without surprise. */
function walkMetadata(value: unknown, path: string, depth: number, problems: ErrorDetail[]): void {
  if (problems.length >= 20) return;
  if (typeof value === 'number') {
    const problem = numberProblem(value);
    if (problem) problems.push({ field: path, message: problem });
  } else if (typeof value === 'string') {
    const problem = stringProblem(value);
    if (problem) problems.push({ field: path, message: problem });
  } else if (value !== null && typeof value === 'object') {
    if (depth > LIMITS.metadataMaxDepth) {
      problems.push({ field: path, message: `is nested deeper than ${LIMITS.metadataMaxDepth} levels` });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => walkMetadata(item, `${path}[${index}]`, depth + 1, problems));
      return;
    }
    for (const key of Object.keys(value)) {
      const child = `${path}.${key}`;
      if (key === '__proto__') problems.push({ field: child, message: 'is a forbidden key' });
      else if (key === '') problems.push({ field: child, message: 'keys must not be empty' });
      else if (stringProblem(key))
        problems.push({ field: child, message: 'keys must be valid Unicode (no unpaired surrogates)' });
      else walkMetadata((value as Record<string, unknown>)[key], child, depth + 1, problems);
    }
  }
}

/** Checks a schema-valid update for what the schema cannot express. `prefix` is `''` or `updates[i].`. */
function storageProblems(update: TrackingUpdate, prefix: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const idProblem = stringProblem(update.tracking_id);
  if (idProblem) problems.push({ field: `${prefix}tracking_id`, message: idProblem });
  for (const axis of ['lat', 'lng'] as const) {
    const problem = numberProblem(update.location[axis]);
    if (problem) problems.push({ field: `${prefix}location.${axis}`, message: problem });
  }
  if (update.metadata !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(update.metadata), 'utf8');
    if (bytes > LIMITS.metadataMaxBytes) {
      problems.push({
        field: `${prefix}metadata`,
        message: `must be at most ${LIMITS.metadataMaxBytes} bytes as JSON (got ${bytes})`,
      });
    }
    walkMetadata(update.metadata, `${prefix}metadata`, 1, problems);
  }
  return problems;
}

// --- Entry points --------------------------------------------------------------------------------

/** A body carrying `updates` is a batch (whatever else it carries: the batch schema judges that). */
export function isBatchBody(body: Record<string, unknown>): boolean {
  return Object.prototype.hasOwnProperty.call(body, 'updates');
}

export function validateUpdate(body: unknown): ValidationResult<TrackingUpdate> {
  if (!updateValidator(body)) return { ok: false, problems: (updateValidator.errors ?? []).map(describe) };
  const problems = storageProblems(body, '');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: body };
}

export function validateBatch(body: unknown): ValidationResult<TrackingUpdate[]> {
  if (!batchValidator(body)) return { ok: false, problems: (batchValidator.errors ?? []).map(describe) };
  const problems = body.updates.flatMap((update, index) => storageProblems(update, `updates[${index}].`));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: body.updates };
}

/** The tracking_id rules of the schema (and well-formed Unicode), for a value from the query string. */
export function trackingIdProblems(value: string, field = 'tracking_id'): ErrorDetail[] {
  if (!trackingIdValidator(value)) {
    return (trackingIdValidator.errors ?? []).map((error) => ({ ...describe(error), field }));
  }
  const problem = stringProblem(value);
  return problem ? [{ field, message: problem }] : [];
}
