/**
 * The local request validator, as a specification of what API Gateway answers: the exact report
 * (validationErrorString) for each keyword our models use, the order java-json-tools walks a body in
 * (keywords by name, members sorted, no descent once something failed), the batch model, bodies that
 * are not JSON, required query parameters, and the table of messages behind it
 * (local/gateway/validator-messages.ts).
 */
import { MODELS, ROUTES, STATUSES, type RouteKey } from '../../lambda/contract';
import { apiSpec, querystringParameter, type ApiSpecInputs, type RouteSpec } from '../../lib/api-spec';
import { createRequestValidator } from '../../local/gateway/request-validator';
import { VALIDATOR_MESSAGES, type ValidatorMessage } from '../../local/gateway/validator-messages';

const inputs: ApiSpecInputs = { functionName: 'fn', validatorName: 'v' };
const spec = apiSpec(inputs);
const validate = createRequestValidator(spec);
const route = (key: RouteKey): RouteSpec => spec.routes.find((r) => r.key === key)!;

const UPDATE = MODELS.TrackingUpdate;
const TRACKING_ID = UPDATE.properties.tracking_id;
const LAT = UPDATE.properties.location.properties.lat;
const LNG = UPDATE.properties.location.properties.lng;
const UPDATES = MODELS.TrackingBatch.properties.updates;
const valid = { tracking_id: 'PKG-1', status: STATUSES[0], location: { lat: 1, lng: 1 } };

/** The report of one body, or undefined when it passes. */
function report(body: unknown, key: RouteKey = 'track', contentType?: string): string | undefined {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const failure = validate(route(key), { query: {}, contentType, body: text });
  if (failure) expect([failure.responseType, failure.message]).toEqual(['BAD_REQUEST_BODY', 'Invalid request body']);
  return failure?.validationError;
}

const enumMessage = (value: string) =>
  `instance value (${JSON.stringify(value)}) not found in enum (possible values: ${JSON.stringify(STATUSES)})`;
const patternMessage = (input: string) =>
  `ECMA 262 regex "${TRACKING_ID.pattern}" does not match input string "${input}"`;

describe('local request validator: one message per keyword, in API Gateway words', () => {
  it('accepts a valid update and a valid batch', () => {
    expect(report(valid)).toBeUndefined();
    expect(report({ ...valid, metadata: { a: 1 }, event_time: '2026-12-01T09:30:00+01:00' })).toBeUndefined();
    expect(report({ updates: [valid, valid] }, 'trackBatch')).toBeUndefined();
  });

  it('required: one message, every missing name, sorted', () => {
    expect(report({})).toBe('[object has missing required properties (["location","status","tracking_id"])]');
    expect(report({ ...valid, location: {} })).toBe('[object has missing required properties (["lat","lng"])]');
  });

  it('type: the found type (an integral number is integer), number listed as ["integer","number"]', () => {
    expect(report({ ...valid, tracking_id: 5 })).toBe(
      '[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]',
    );
    expect(report({ ...valid, tracking_id: 1.5 })).toBe(
      '[instance type (number) does not match any allowed primitive type (allowed: ["string"])]',
    );
    // minimum/maximum do not apply to a string: only the type is reported
    expect(report({ ...valid, location: { lat: '97', lng: null } })).toBe(
      '[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"]), ' +
        'instance type (null) does not match any allowed primitive type (allowed: ["integer","number"])]',
    );
    expect(report([])).toBe('[instance type (array) does not match any allowed primitive type (allowed: ["object"])]');
    expect(report('null')).toBe(
      '[instance type (null) does not match any allowed primitive type (allowed: ["object"])]',
    );
    expect(report('"x"')).toBe(
      '[instance type (string) does not match any allowed primitive type (allowed: ["object"])]',
    );
  });

  it('enum: the value as compact JSON, the values in schema order; enum runs before type', () => {
    expect(report({ ...valid, status: 'lost' })).toBe(`[${enumMessage('lost')}]`);
    expect(report({ ...valid, status: 5 })).toBe(
      `[instance value (5) not found in enum (possible values: ${JSON.stringify(STATUSES)}), ` +
        'instance type (integer) does not match any allowed primitive type (allowed: ["string"])]',
    );
    // Jackson writes a control character's escape in upper-case hex
    expect(report({ ...valid, status: 'a"\u001f' })).toBe(
      `[instance value ("a\\"\\u001F") not found in enum (possible values: ${JSON.stringify(STATUSES)})]`,
    );
  });

  it('minimum and maximum: plain numbers', () => {
    expect(report({ ...valid, location: { lat: LAT.minimum - 1, lng: 1 } })).toBe(
      `[numeric instance is lower than the required minimum (minimum: ${LAT.minimum}, found: ${LAT.minimum - 1})]`,
    );
    expect(report({ ...valid, location: { lat: 1, lng: LNG.maximum + 0.5 } })).toBe(
      `[numeric instance is greater than the required maximum (maximum: ${LNG.maximum}, found: ${LNG.maximum + 0.5})]`,
    );
  });

  it('minLength then pattern (keyword order) for an empty tracking_id', () => {
    expect(report({ ...valid, tracking_id: '' })).toBe(
      `[string "" is too short (length: 0, required minimum: ${TRACKING_ID.minLength}), ${patternMessage('')}]`,
    );
  });

  it('maxLength: the raw string, its length in code points', () => {
    const long = 'x'.repeat(TRACKING_ID.maxLength + 1);
    expect(report({ ...valid, tracking_id: long })).toBe(
      `[string "${long}" is too long (length: ${TRACKING_ID.maxLength + 1}, maximum allowed: ${TRACKING_ID.maxLength})]`,
    );
    // '📦' is two UTF-16 units but one code point: exactly the maximum passes
    expect(report({ ...valid, tracking_id: '📦'.repeat(TRACKING_ID.maxLength) })).toBeUndefined();
    const parcels = '📦'.repeat(TRACKING_ID.maxLength + 1);
    expect(report({ ...valid, tracking_id: parcels })).toBe(
      `[string "${parcels}" is too long (length: ${TRACKING_ID.maxLength + 1}, maximum allowed: ${TRACKING_ID.maxLength})]`,
    );
  });

  it('pattern: the raw regex and the raw input (a tab stays a tab)', () => {
    expect(report({ ...valid, tracking_id: 'PKG\t1' })).toBe(`[${patternMessage('PKG\t1')}]`);
    expect(report({ ...valid, event_time: 'yesterday' })).toBe(
      `[ECMA 262 regex "${UPDATE.properties.event_time.pattern}" does not match input string "yesterday"]`,
    );
  });

  it('additionalProperties: one message, the extra names sorted (upper case first), at any depth', () => {
    expect(report({ ...valid, zeta: 1, Alpha: 2, extra: true })).toBe(
      '[object instance has properties which are not allowed by the schema: ["Alpha","extra","zeta"]]',
    );
    expect(report({ ...valid, location: { lat: 1, lng: 1, alt: 3 } })).toBe(
      '[object instance has properties which are not allowed by the schema: ["alt"]]',
    );
  });

  it('maxProperties (metadata)', () => {
    const max = UPDATE.properties.metadata.maxProperties;
    const metadata = Object.fromEntries(Array.from({ length: max + 1 }, (_, i) => [`k${i}`, i]));
    expect(report({ ...valid, metadata })).toBe(
      `[object has too many properties (found ${max + 1} but schema requires at most ${max})]`,
    );
  });
});

describe('local request validator: the traversal of java-json-tools', () => {
  it("gives the issue's example exactly: location first (sorted), then status", () => {
    expect(report({ tracking_id: 'PKG-1', status: 'lost', location: { lat: 97, lng: 1 } })).toBe(
      '[numeric instance is greater than the required maximum (maximum: 90, found: 97), instance value ("lost") not found in enum (possible values: ["pending","in_transit","delivered","failed"])]',
    );
  });

  it('stops descending after the first error: a missing property at the root hides a bad nested value', () => {
    expect(report({ status: STATUSES[0], location: { lat: 97, lng: 1 } })).toBe(
      '[object has missing required properties (["tracking_id"])]',
    );
    expect(report({ ...valid, extra: 1, location: { lat: 97, lng: 1 } })).toBe(
      '[object instance has properties which are not allowed by the schema: ["extra"]]',
    );
  });

  it('visits members in sorted order and still runs the keywords of later siblings', () => {
    // written in another order; lng's own keywords run after lat failed, as do status' and tracking_id's
    const body = { tracking_id: '', status: 'lost', location: { lng: LNG.maximum + 1, lat: LAT.maximum + 1 } };
    expect(report(body)).toBe(
      `[numeric instance is greater than the required maximum (maximum: ${LAT.maximum}, found: ${LAT.maximum + 1}), ` +
        `numeric instance is greater than the required maximum (maximum: ${LNG.maximum}, found: ${LNG.maximum + 1}), ` +
        `${enumMessage('lost')}, ` +
        `string "" is too short (length: 0, required minimum: ${TRACKING_ID.minLength}), ${patternMessage('')}]`,
    );
  });

  it('batch: minItems and maxItems on updates, and nothing inside once they fail', () => {
    expect(report({ updates: [] }, 'trackBatch')).toBe(
      `[array is too short: must have at least ${UPDATES.minItems} elements but instance has 0 elements]`,
    );
    const tooMany = Array.from({ length: UPDATES.maxItems + 1 }, () => ({ ...valid, status: 'lost' }));
    expect(report({ updates: tooMany }, 'trackBatch')).toBe(
      `[array is too long: must have at most ${UPDATES.maxItems} elements but instance has ${UPDATES.maxItems + 1} elements]`,
    );
    expect(report({ updates: valid }, 'trackBatch')).toBe(
      '[instance type (object) does not match any allowed primitive type (allowed: ["array"])]',
    );
    expect(report({}, 'trackBatch')).toBe('[object has missing required properties (["updates"])]');
  });

  it("batch: items in index order; after an item's error later items run their own keywords only", () => {
    const body = {
      updates: [
        valid,
        { ...valid, status: 'lost' },
        { ...valid, location: { lat: 97, lng: 1 } }, // not entered: an error is already recorded
        { tracking_id: 'PKG-4', status: STATUSES[0] }, // its own `required` still runs
      ],
    };
    expect(report(body, 'trackBatch')).toBe(
      `[${enumMessage('lost')}, object has missing required properties (["location"])]`,
    );
  });

  it('a batch sent to /track, and an update sent to /track/batch, are refused by the model', () => {
    expect(report({ updates: [valid] })).toBe(
      '[object instance has properties which are not allowed by the schema: ["updates"], ' +
        'object has missing required properties (["location","status","tracking_id"])]',
    );
    expect(report(valid, 'trackBatch')).toBe(
      '[object instance has properties which are not allowed by the schema: ["location","status","tracking_id"], ' +
        'object has missing required properties (["updates"])]',
    );
  });

  it('answers a body that is not JSON, or empty, with the whole-body message', () => {
    for (const body of ['{oops', '', '   ', '{"tracking_id":', 'undefined']) {
      expect([body, report(body)]).toEqual([body, '[Unknown error parsing request body]']);
    }
  });

  it('validates application/json (any case, with parameters) and no Content-Type; passes other media types', () => {
    const bad = { ...valid, status: 'lost' };
    expect(report(bad, 'track', 'Application/JSON; charset=utf-8')).toBe(`[${enumMessage('lost')}]`);
    expect(report(bad, 'track', '')).toBe(`[${enumMessage('lost')}]`);
    expect(report(bad, 'track', 'text/plain')).toBeUndefined();
    expect(report('{oops', 'track', 'application/x-www-form-urlencoded')).toBeUndefined();
  });

  it('does not validate bodies when the validator does not validate them', () => {
    const off = createRequestValidator({ ...spec, validator: { ...spec.validator, validateRequestBody: false } });
    expect(off(route('track'), { query: {}, body: '{oops' })).toBeUndefined();
  });
});

describe('local request validator: required query parameters', () => {
  const [required] = ROUTES.status.requiredQuery;
  const message = `Missing required request parameters: [${required}]`;

  it('refuses a missing or blank required parameter (message and validationError alike)', () => {
    const queries: Record<string, string[]>[] = [{}, { [required]: [''] }, { [required]: ['  ', ''] }];
    for (const query of queries) {
      expect(validate(route('status'), { query, body: '' })).toEqual({
        responseType: 'BAD_REQUEST_PARAMETERS',
        message,
        validationError: message,
      });
    }
    expect(validate(route('status'), { query: { [required]: ['PKG-1'] }, body: '' })).toBeUndefined();
    expect(
      validate(route('shipments'), { query: { [ROUTES.shipments.requiredQuery[0]]: ['pending'] }, body: '' }),
    ).toBeUndefined();
  });

  it('lists several missing names, comma and space separated, and checks parameters before the body', () => {
    const two: RouteSpec = {
      ...route('track'),
      requestParameters: { [querystringParameter('a')]: true, [querystringParameter('b')]: true },
    };
    expect(validate(two, { query: { a: [' '] }, body: '{oops' })?.message).toBe(
      'Missing required request parameters: [a, b]',
    );
  });
});

describe('local request validator: refuses what it cannot check, when it is created', () => {
  const withTrackingId = (tracking_id: object) =>
    apiSpec({
      ...inputs,
      models: { TrackingUpdate: { ...UPDATE, properties: { ...UPDATE.properties, tracking_id } } },
    });

  it.each([
    ['format', { type: 'string', format: 'date-time' }],
    ['oneOf', { oneOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['exclusiveMinimum', { type: 'number', minimum: 0, exclusiveMinimum: true }],
    ['uniqueItems', { type: 'array', uniqueItems: true }],
    ['a made-up keyword', { type: 'string', minLenght: 1 }],
    ['additionalProperties as a schema', { type: 'object', additionalProperties: { type: 'string' } }],
    ['items as an array', { type: 'array', items: [{ type: 'string' }] }],
  ])('%s', (_name, schema) => {
    expect(() => createRequestValidator(withTrackingId(schema))).toThrow(
      /local request validator: .* is not implemented/,
    );
  });

  it('a required header parameter (the validator is given no headers)', () => {
    const routes = spec.routes.map((r) =>
      r.key === 'track' ? { ...r, requestParameters: { 'method.request.header.X-Required': true } } : r,
    );
    expect(() => createRequestValidator({ ...spec, routes })).toThrow(/required parameter method\.request\.header/);
  });

  it('ignores annotations ($schema, title, description)', () => {
    expect(() =>
      createRequestValidator(withTrackingId({ type: 'string', title: 't', description: 'd' })),
    ).not.toThrow();
  });
});

describe('the table of validator messages', () => {
  // Keys of a schema that are not validation keywords: structure the walker descends through, annotations.
  const STRUCTURE = new Set(['properties', 'items', '$schema', 'title', 'description']);

  function keywordsOf(schema: object, found = new Set<string>()): Set<string> {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties') for (const sub of Object.values(value as object)) keywordsOf(sub, found);
      else if (key === 'items') keywordsOf(value as object, found);
      else if (!STRUCTURE.has(key)) found.add(key);
    }
    return found;
  }

  it('has a row for every keyword the models use', () => {
    const used = new Set(Object.values(MODELS).flatMap((model) => [...keywordsOf(model)]));
    expect(used.size).toBeGreaterThan(10);
    for (const keyword of used) expect([keyword, keyword in VALIDATOR_MESSAGES]).toEqual([keyword, true]);
    // a malformed body and missing parameters have rows too
    expect(Object.keys(VALIDATOR_MESSAGES)).toEqual(expect.arrayContaining(['unparseable', 'missingParameters']));
  });

  it('names a source for every row: a URL, an unidentified public source, or says none was found', () => {
    const rows: [string, ValidatorMessage][] = Object.entries(VALIDATOR_MESSAGES);
    for (const [row, { source, seeAlso = [] }] of rows) {
      const url = /^https:\/\/\S+$/.test(source);
      expect([
        row,
        url || /, repository not identified$/.test(source) || source.startsWith('no source found: '),
      ]).toEqual([row, true]);
      if (url) expect([row, source]).not.toContain('no source found');
      for (const also of seeAlso) expect([row, also]).toEqual([row, expect.stringMatching(/^https:\/\/\S+$/)]);
    }
  });

  it('rows with no API Gateway output are the ones the research found none for', () => {
    const none = Object.entries(VALIDATOR_MESSAGES)
      .filter(([, row]) => row.source.startsWith('no source found: '))
      .map(([key]) => key);
    expect(none.sort()).toEqual(['maxItems', 'maxProperties', 'minItems', 'minLength']);
  });

  it('every example is an instance of its template, and every row is escaped in a gateway response', () => {
    const asRegex = (template: string) =>
      new RegExp(
        `^${template
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/%s/g, '.*')
          .replace(/%d/g, '\\d+')}$`,
        's',
      );
    for (const [row, { template, example, escapedInGatewayResponse }] of Object.entries(VALIDATOR_MESSAGES)) {
      expect([row, example]).toEqual([row, expect.stringMatching(asRegex(template))]);
      expect([row, escapedInGatewayResponse]).toEqual([row, true]);
    }
  });
});
