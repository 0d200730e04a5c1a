/**
 * API Gateway's request validator, driven by the same API definition the stack deploys
 * (lib/api-spec.ts: the model, which is lambda/contract.ts's schema verbatim, compiled here with
 * Ajv's draft-04 dialect; each route's required query parameters and request models). Answers as
 * the gateway does: BAD_REQUEST_PARAMETERS "Missing required request parameters: [...]" for a
 * missing or blank required parameter, BAD_REQUEST_BODY "Invalid request body" with the validator's
 * report as `validationErrorString`.
 *
 * Like API Gateway, the body is validated only when the request's media type has a model on the
 * method (a missing Content-Type counts as application/json); any other media type is passed
 * through to the function, which answers 415 itself.
 */
import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import type { ErrorObject } from 'ajv';
import type { ApiSpec, RouteSpec } from '../../lib/api-spec';

interface ValidationFailure {
  responseType: 'BAD_REQUEST_BODY' | 'BAD_REQUEST_PARAMETERS';
  message: string;
  validationError: string;
}

const list = (values: unknown[]) => `[${values.map((v) => JSON.stringify(v)).join(',')}]`;

/**
 * One Ajv error in the wording of the JSON-schema validator API Gateway runs (java-json-tools), so
 * `details` reads the same locally as in the cloud for the common keywords.
 */
function describe(error: ErrorObject, data: unknown): string {
  const p = error.params as Record<string, unknown>;
  const value = error.instancePath
    ? error.instancePath
        .split('/')
        .slice(1)
        .reduce<unknown>(
          (node, key) => (node as Record<string, unknown>)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
          data,
        )
    : data;
  const at = error.instancePath ? ` at ${error.instancePath}` : '';
  const typeOf = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  switch (error.keyword) {
    case 'oneOf': {
      const passing = p.passingSchemas as number[] | null;
      return `instance failed to match exactly one schema (matched ${passing ? passing.length : 0} out of ${(error.schema as unknown[]).length})${at}`;
    }
    case 'required':
      return `object has missing required properties (${list([p.missingProperty])})${at}`;
    case 'additionalProperties':
      return `object instance has properties which are not allowed by the schema: ${list([p.additionalProperty])}${at}`;
    case 'type': {
      const allowed = String(p.type).split(',');
      if (allowed.includes('number')) allowed.splice(allowed.indexOf('number'), 0, 'integer');
      return `instance type (${typeOf(value)}) does not match any allowed primitive type (allowed: ${list(allowed)})${at}`;
    }
    case 'enum':
      return `instance value (${JSON.stringify(value)}) not found in enum (possible values: ${list(p.allowedValues as unknown[])})${at}`;
    case 'minimum':
      return `numeric instance is lower than the required minimum (minimum: ${p.limit}, found: ${value})${at}`;
    case 'maximum':
      return `numeric instance is greater than the required maximum (maximum: ${p.limit}, found: ${value})${at}`;
    case 'minLength':
      return `string ${JSON.stringify(value)} is too short (length: ${String(value).length}, required minimum: ${p.limit})${at}`;
    case 'maxLength':
      return `string ${JSON.stringify(value)} is too long (length: ${String(value).length}, maximum allowed: ${p.limit})${at}`;
    case 'pattern':
      return `ECMA 262 regex ${JSON.stringify(p.pattern)} does not match input string ${JSON.stringify(value)}${at}`;
    case 'maxProperties':
      return `object has too many properties (found ${Object.keys(value as object).length}, maximum allowed: ${p.limit})${at}`;
    case 'minItems':
      return `array is too short: must have at least ${p.limit} elements but instance has ${(value as unknown[]).length} elements${at}`;
    case 'maxItems':
      return `array is too long: must have at most ${p.limit} elements but instance has ${(value as unknown[]).length} elements${at}`;
    default:
      return `${error.message ?? error.keyword}${at}`;
  }
}

/**
 * The validator's report: like java-json-tools, errors inside a oneOf branch are not listed on their
 * own, only the oneOf failure that contains them.
 */
function bodyValidationReport(validateBody: ValidateFunction, body: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    return body.trim() === '' ? '[No content to map due to end-of-input]' : `[${(error as Error).message}]`;
  }
  if (validateBody(data)) return undefined;
  const errors = (validateBody.errors ?? []).filter((e) => !/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath));
  return `[${errors.map((e) => describe(e, data)).join(', ')}]`;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() || 'application/json';
}

export type RequestValidator = (
  route: RouteSpec,
  request: { query: Record<string, string[]>; contentType?: string; body: string },
) => ValidationFailure | undefined;

/** Compiles the API's model once; the validator checks a request against its route's rules. */
export function createRequestValidator(spec: ApiSpec): RequestValidator {
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  const models: Record<string, ValidateFunction> = { [spec.model.name]: ajv.compile(JSON.parse(spec.model.schema)) };
  return (route, request) => {
    if (spec.validator.validateRequestParameters) {
      const prefix = 'method.request.querystring.';
      const missing = Object.entries(route.requestParameters ?? {})
        .filter(([key, required]) => required && key.startsWith(prefix))
        .map(([key]) => key.slice(prefix.length))
        .filter((name) => !(request.query[name] ?? []).some((v) => v.trim() !== ''));
      if (missing.length) {
        const message = `Missing required request parameters: [${missing.join(', ')}]`;
        return { responseType: 'BAD_REQUEST_PARAMETERS', message, validationError: message };
      }
    }
    const modelName = route.requestModels?.[mediaType(request.contentType)];
    if (spec.validator.validateRequestBody && modelName && models[modelName]) {
      const report = bodyValidationReport(models[modelName], request.body);
      if (report) return { responseType: 'BAD_REQUEST_BODY', message: 'Invalid request body', validationError: report };
    }
    return undefined;
  };
}
