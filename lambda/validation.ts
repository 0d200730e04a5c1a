/**
 * Validation of POST /track bodies and of the tracking_id query parameter, with the contract's
 * draft-04 schemas compiled by Ajv AT BUILD TIME (lambda/generated/validators.ts, written by
 * scripts/generate-validators.ts: no Ajv in the bundle, nothing compiled at init), plus what a
 * schema cannot say but DynamoDB needs: the metadata byte and depth bounds, numbers DynamoDB can
 * store exactly, well-formed UTF-16 strings, no `__proto__` keys at any depth, and an `event_time`
 * that is a real instant inside the accepted window. Every problem is reported, each with its field
 * path and message.
 */
import type { ErrorObject } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { LIMITS, RFC3339_SCHEMA, STATUSES, type TRACKING_BATCH_SCHEMA, type TRACKING_UPDATE_SCHEMA } from './contract';
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

/** What a value of RFC3339_SCHEMA's wrong shape is told (`event_time`, and GET /shipments' bounds). */
const RFC3339_MESSAGE = 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T09:30:00Z';

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
      return {
        field: fieldPath(error.instancePath),
        message: params.pattern === RFC3339_SCHEMA.pattern ? RFC3339_MESSAGE : 'must not contain control characters',
      };
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

// --- Instants (RFC 3339) -------------------------------------------------------------------------

const RFC3339 = new RegExp(RFC3339_SCHEMA.pattern);
const DAY_MS = 24 * 60 * 60 * 1000;

export type InstantResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * The instant (epoch ms) of an RFC 3339 date-time with an offset (RFC3339_SCHEMA's shape). The shape
 * alone admits month 13 or February 30: the parsed components must round-trip through a Date, and
 * an offset must be at most 23:59 (a leap second, :60, is refused too: no Date can hold it).
 */
export function parseInstant(value: string): InstantResult {
  if (!RFC3339.test(value)) return { ok: false, message: RFC3339_MESSAGE };
  // The shape is fixed up to the seconds: YYYY-MM-DDTHH:MM:SS, then [.fff], then Z or ±HH:MM.
  const part = (from: number, to: number) => Number(value.slice(from, to));
  const [year, month, day, hour, minute, second] = [
    part(0, 4),
    part(5, 7),
    part(8, 10),
    part(11, 13),
    part(14, 16),
    part(17, 19),
  ];
  let rest = value.slice(19);
  let millis = 0;
  if (rest.startsWith('.')) {
    const digits = rest.slice(1).replace(/[^0-9].*$/, '');
    millis = Number(digits.padEnd(3, '0'));
    rest = rest.slice(1 + digits.length);
  }
  let offsetMinutes = 0;
  if (rest !== 'Z') {
    const [hours, minutes] = [Number(rest.slice(1, 3)), Number(rest.slice(4, 6))];
    if (hours > 23 || minutes > 59) return { ok: false, message: 'is not a real date and time (offset)' };
    offsetMinutes = (rest[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) return { ok: false, message: 'is not a real date and time' };
  return { ok: true, ms: date.getTime() - offsetMinutes * 60_000 };
}

/** The accepted window of `event_time`: from `maxAgeDays` before `now` to LIMITS.eventTimeMaxFutureMs after it. */
export interface EventTimeWindow {
  /** The API's clock (epoch ms). */
  now: number;
  /** config.max_event_age_days. */
  maxAgeDays: number;
}

/** `event_time` normalised to UTC (`...Z`, milliseconds), as the history item stores it. */
export function normaliseEventTime(value: string): string {
  const parsed = parseInstant(value);
  if (!parsed.ok) throw new Error(`event_time ${JSON.stringify(value)} ${parsed.message}`);
  return new Date(parsed.ms).toISOString();
}

function eventTimeProblem(value: string, window: EventTimeWindow | undefined): string | undefined {
  const parsed = parseInstant(value);
  if (!parsed.ok) return parsed.message;
  if (parsed.ms < 0) return 'must not be before 1970-01-01T00:00:00Z';
  if (window === undefined) return undefined;
  if (parsed.ms > window.now + LIMITS.eventTimeMaxFutureMs) {
    return `must not be more than ${LIMITS.eventTimeMaxFutureMs / 60_000} minutes in the future`;
  }
  if (parsed.ms < window.now - window.maxAgeDays * DAY_MS) {
    return `must not be older than ${window.maxAgeDays} days`;
  }
  return undefined;
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
function storageProblems(update: TrackingUpdate, prefix: string, window: EventTimeWindow | undefined): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (update.event_time !== undefined) {
    const problem = eventTimeProblem(update.event_time, window);
    if (problem) problems.push({ field: `${prefix}event_time`, message: problem });
  }
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

/**
 * `window`: where an `event_time` must lie (POST /track passes its clock and config); without one,
 * any real instant since the epoch passes (a parked update, validated when it was accepted).
 */
export function validateUpdate(body: unknown, window?: EventTimeWindow): ValidationResult<TrackingUpdate> {
  if (!updateValidator(body)) return { ok: false, problems: (updateValidator.errors ?? []).map(describe) };
  const problems = storageProblems(body, '', window);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: body };
}

export function validateBatch(body: unknown, window?: EventTimeWindow): ValidationResult<TrackingUpdate[]> {
  if (!batchValidator(body)) return { ok: false, problems: (batchValidator.errors ?? []).map(describe) };
  const problems = body.updates.flatMap((update, index) => storageProblems(update, `updates[${index}].`, window));
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
