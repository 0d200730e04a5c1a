/**
 * API Gateway's request validator, driven by the API definition the stack deploys (lib/api-spec.ts:
 * the models, which are lambda/contract.ts's schemas verbatim; each route's request models and
 * required query parameters). Answers as the gateway does: BAD_REQUEST_PARAMETERS for a missing or
 * blank required query parameter, BAD_REQUEST_BODY with the validator's report as
 * `validationErrorString`, in the words of validator-messages.ts.
 *
 * The body walker reproduces the traversal of the validator API Gateway runs (java-json-tools; the
 * rules and their sources are in validator-messages.ts): at each node the schema's keywords that apply
 * to the instance's type, in name order; then its members (sorted) or items, only while nothing has
 * failed. It knows the draft-04 subset our models use; any other keyword throws when the validator is
 * created, so a keyword added to a model can never be silently ignored here.
 *
 * Like API Gateway, the body is validated only when the request's media type has a model on the
 * method (a missing Content-Type counts as application/json); any other media type is passed
 * through to the function, which answers 415 itself.
 */
import { querystringParameter, type ApiSpec, type RouteSpec } from '../../lib/api-spec';
import {
  JSON_TYPES,
  MESSAGES,
  allowedTypes,
  codePoints,
  instanceType,
  validationReport,
  type JsonType,
} from './validator-messages';

interface ValidationFailure {
  responseType: 'BAD_REQUEST_BODY' | 'BAD_REQUEST_PARAMETERS';
  message: string;
  validationError: string;
}

type Schema = Record<string, unknown>;
type Check = (instance: unknown) => string | undefined;

/** One keyword of one schema node: the instance types it applies to (fge skips the others) and its check. */
interface Keyword {
  types: readonly JsonType[];
  check: Check;
}

interface SchemaNode {
  /** In keyword-name order, the order fge runs them in. */
  keywords: Keyword[];
  properties: Map<string, SchemaNode>;
  items?: SchemaNode;
}

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function unsupported(at: string, what: string): never {
  throw new Error(`local request validator: ${what} at ${at || '/'} is not implemented`);
}

/** A check on instances of some types; the cast is safe because the walker only calls it for those. */
const on = <T>(types: readonly JsonType[], check: (instance: T) => string | undefined): Keyword => ({
  types,
  check: check as Check,
});

/** Instance equality as fge's enum sees it (JsonNumEquals: numbers by value, containers deeply). */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}

const NUMERIC: readonly JsonType[] = ['integer', 'number'];

type Builder = (value: unknown, schema: Schema, at: string) => Keyword;

/** The keywords the walker implements: each builds its check from the keyword's value (and its schema). */
const KEYWORDS: ReadonlyMap<string, Builder> = new Map<string, Builder>([
  [
    'additionalProperties',
    (allowed, schema, at) => {
      if (typeof allowed !== 'boolean') unsupported(at, 'additionalProperties as a schema');
      const declared = new Set(Object.keys(isObject(schema.properties) ? schema.properties : {}));
      return on<Schema>(['object'], (object) => {
        const extra = allowed ? [] : Object.keys(object).filter((name) => !declared.has(name));
        return extra.length ? MESSAGES.additionalProperties(extra) : undefined;
      });
    },
  ],
  [
    'enum',
    (values, _schema, at) => {
      if (!Array.isArray(values)) unsupported(at, 'an enum that is not an array');
      return on<unknown>(JSON_TYPES, (value) =>
        values.some((v) => sameJson(v, value)) ? undefined : MESSAGES.enum(value, values),
      );
    },
  ],
  [
    'maxItems',
    (value, _schema, at) => {
      const max = count(value, at);
      return on<unknown[]>(['array'], (a) => (a.length > max ? MESSAGES.maxItems(max, a.length) : undefined));
    },
  ],
  [
    'maxLength',
    (value, _schema, at) => {
      const max = count(value, at);
      return on<string>(['string'], (s) => (codePoints(s) > max ? MESSAGES.maxLength(s, max) : undefined));
    },
  ],
  [
    'maxProperties',
    (value, _schema, at) => {
      const max = count(value, at);
      return on<Schema>(['object'], (o) => {
        const found = Object.keys(o).length;
        return found > max ? MESSAGES.maxProperties(found, max) : undefined;
      });
    },
  ],
  [
    'maximum',
    (value, _schema, at) => {
      const max = limit(value, at);
      return on<number>(NUMERIC, (n) => (n > max ? MESSAGES.maximum(max, n) : undefined));
    },
  ],
  [
    'minItems',
    (value, _schema, at) => {
      const min = count(value, at);
      return on<unknown[]>(['array'], (a) => (a.length < min ? MESSAGES.minItems(min, a.length) : undefined));
    },
  ],
  [
    'minLength',
    (value, _schema, at) => {
      const min = count(value, at);
      return on<string>(['string'], (s) => (codePoints(s) < min ? MESSAGES.minLength(s, min) : undefined));
    },
  ],
  [
    'minimum',
    (value, _schema, at) => {
      const min = limit(value, at);
      return on<number>(NUMERIC, (n) => (n < min ? MESSAGES.minimum(min, n) : undefined));
    },
  ],
  [
    'pattern',
    (pattern, _schema, at) => {
      if (typeof pattern !== 'string') unsupported(at, 'a pattern that is not a string');
      // fge tests like ECMAScript's RegExp#test (a search, not anchored); 'u' reads \u escapes and astral characters.
      const regex = new RegExp(pattern, 'u');
      return on<string>(['string'], (s) => (regex.test(s) ? undefined : MESSAGES.pattern(pattern, s)));
    },
  ],
  [
    'required',
    (names, _schema, at) => {
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) unsupported(at, 'required names');
      return on<Schema>(['object'], (object) => {
        const missing = names.filter((name) => !Object.hasOwn(object, name));
        return missing.length ? MESSAGES.required(missing) : undefined;
      });
    },
  ],
  [
    'type',
    (type, _schema, at) => {
      const declared: unknown[] = typeof type === 'string' ? [type] : Array.isArray(type) ? type : [];
      if (!declared.length || !declared.every((t): t is JsonType => (JSON_TYPES as readonly unknown[]).includes(t))) {
        unsupported(at, `type ${JSON.stringify(type)}`);
      }
      const allowed = allowedTypes(declared as JsonType[]);
      return on<unknown>(JSON_TYPES, (value) => {
        const found = instanceType(value);
        return allowed.includes(found) ? undefined : MESSAGES.type(found, declared as JsonType[]);
      });
    },
  ],
]);

function limit(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) unsupported(at, `a limit ${JSON.stringify(value)}`);
  return value;
}

function count(value: unknown, at: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) unsupported(at, `a count ${JSON.stringify(value)}`);
  return value as number;
}

/** No validator in fge: nothing to check. */
const ANNOTATIONS = new Set(['$schema', 'title', 'description']);

/** One schema node, its keywords in Java String order (the TreeMap fge builds them into). */
function compile(schema: unknown, at: string): SchemaNode {
  if (!isObject(schema)) unsupported(at, 'a schema that is not an object');
  const node: SchemaNode = { keywords: [], properties: new Map() };
  for (const name of Object.keys(schema).sort()) {
    const value = schema[name];
    if (ANNOTATIONS.has(name)) continue;
    if (name === 'properties') {
      if (!isObject(value)) unsupported(at, 'properties that is not an object');
      for (const [member, sub] of Object.entries(value)) {
        node.properties.set(member, compile(sub, `${at}/properties/${member}`));
      }
    } else if (name === 'items') {
      if (!isObject(value)) unsupported(at, 'items as an array');
      node.items = compile(value, `${at}/items`);
    } else {
      const build = KEYWORDS.get(name);
      if (!build) unsupported(at, `keyword ${name}`);
      node.keywords.push(build(value, schema, at));
    }
  }
  return node;
}

/** fge's InstanceValidator: the node's keywords, then its children only while the report is clean. */
function walk(node: SchemaNode, instance: unknown, report: string[]): void {
  const type = instanceType(instance);
  for (const keyword of node.keywords) {
    if (!keyword.types.includes(type)) continue;
    const message = keyword.check(instance);
    if (message !== undefined) report.push(message);
  }
  if (report.length > 0) return;
  if (type === 'object') {
    const members = instance as Schema;
    for (const name of Object.keys(members).sort()) {
      const child = node.properties.get(name);
      if (child) walk(child, members[name], report);
    }
  } else if (type === 'array' && node.items) {
    for (const item of instance as unknown[]) walk(node.items, item, report);
  }
}

function bodyValidationReport(model: SchemaNode, body: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return validationReport([MESSAGES.unparseable()]);
  }
  const report: string[] = [];
  walk(model, data, report);
  return report.length ? validationReport(report) : undefined;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() || 'application/json';
}

export type RequestValidator = (
  route: RouteSpec,
  request: { query: Record<string, string[]>; contentType?: string; body: string },
) => ValidationFailure | undefined;

const QUERY = querystringParameter('');

/** The required query parameters of a route; a required parameter it cannot see (a header) is refused. */
function requiredQuery(route: RouteSpec): string[] {
  return Object.entries(route.requestParameters ?? {})
    .filter(([, required]) => required)
    .map(([key]) => {
      // The validator is given no headers: a required one would pass here and fail in the cloud.
      if (!key.startsWith(QUERY)) unsupported(`${route.httpMethod} ${route.path}`, `required parameter ${key}`);
      return key.slice(QUERY.length);
    });
}

/** Compiles every model of the API once; the validator checks a request against its route's rules. */
export function createRequestValidator(spec: ApiSpec): RequestValidator {
  const models = new Map(spec.models.map((m) => [m.name as string, compile(JSON.parse(m.schema), `#${m.name}`)]));
  for (const route of spec.routes) {
    requiredQuery(route); // throws now on a required parameter this validator could not check
    for (const name of Object.values(route.requestModels ?? {})) {
      if (!models.has(name)) throw new Error(`local request validator: ${route.path} names unknown model ${name}`);
    }
  }
  return (route, request) => {
    if (spec.validator.validateRequestParameters) {
      const missing = requiredQuery(route).filter((name) => !(request.query[name] ?? []).some((v) => v.trim() !== ''));
      if (missing.length) {
        const message = MESSAGES.missingParameters(missing);
        return { responseType: 'BAD_REQUEST_PARAMETERS', message, validationError: message };
      }
    }
    const modelName = route.requestModels?.[mediaType(request.contentType)];
    const model = modelName === undefined ? undefined : models.get(modelName);
    if (spec.validator.validateRequestBody && model) {
      const report = bodyValidationReport(model, request.body);
      if (report)
        return { responseType: 'BAD_REQUEST_BODY', message: MESSAGES.invalidRequestBody(), validationError: report };
    }
    return undefined;
  };
}
