/**
 * openapi.json (lib/openapi.ts, written by `npm run openapi`): the committed file is what the
 * generator writes now, it is a valid OpenAPI 3.0.3 document, and it describes the API the stack
 * deploys: every route and its declared parameters, the very models API Gateway validates with,
 * SigV4 as API Gateway exports it, the one error shape on every error, the Idempotency-Key header.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv-draft-04';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import {
  IDEMPOTENCY,
  LIMITS,
  MODELS,
  RFC3339_SCHEMA,
  ROUTES,
  STATUSES,
  TRACKING_UPDATE_SCHEMA,
} from '../../lambda/contract';
import { ERROR_RESPONSE_SCHEMA, RESPONSE_SCHEMAS } from '../../lambda/contract-responses';
import { apiSpec, headerParameter, querystringParameter } from '../../lib/api-spec';
import { PROJECT_ROOT } from '../../lib/bundle';
import { GATEWAY_RESPONSES, renderGatewayResponse } from '../../lib/gateway-responses';
import { DEFAULT_PORT } from '../../local/local-api';
import { OPENAPI_FILE, committedDocument } from '../../scripts/openapi';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const committed: Json = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
const spec = apiSpec({ functionName: 'fn', validatorName: 'validator' });
const withoutDialect = ({ $schema: _dialect, ...schema }: { $schema?: string }) => schema;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of a document: [`METHOD /path`, operation]. */
function operations(doc: Json): [string, Json][] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]): [string, Json] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

let resolved: Json;
beforeAll(async () => {
  resolved = (await SwaggerParser.dereference(structuredClone(committed) as never)) as Json;
});
const operationOf = (key: keyof typeof ROUTES): Json =>
  resolved.paths[ROUTES[key].path][ROUTES[key].method.toLowerCase()];

describe('openapi.json', () => {
  it('is what `npm run openapi` writes from the contract now (run it after changing the contract)', () => {
    const generated = JSON.parse(JSON.stringify(committedDocument()));
    expect(committed).toEqual(generated);
    // Key order too: the generator's output is deterministic, and so is the file.
    expect(JSON.stringify(committed)).toBe(JSON.stringify(generated));
  });

  it('`npm run openapi -- --check` passes on the committed file and exits 2 on a bad argument', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/openapi.ts', ...args], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
      });
    const check = run('--check');
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
    const bad = run('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('openapi: unknown argument "--bogus"');
  });

  it('is a valid OpenAPI 3.0.3 document (swagger-parser)', async () => {
    expect(committed.openapi).toBe('3.0.3');
    await expect(SwaggerParser.validate(structuredClone(committed) as never)).resolves.toMatchObject({
      openapi: '3.0.3',
    });
  });

  it('documents every route of the contract, and nothing else, with its method, operationId and summary', () => {
    const documented = operations(committed).map(([at, op]) => [at, op.operationId, op.summary]);
    const contract = Object.entries(ROUTES).map(([key, route]) => [
      `${route.method} ${route.path}`,
      key,
      route.summary,
    ]);
    expect(documented).toEqual(contract);
  });

  it('takes as each POST body the very model API Gateway validates with (MODELS without $schema)', () => {
    for (const route of spec.routes) {
      const body = committed.paths[route.path][route.httpMethod.toLowerCase()].requestBody;
      if (!route.requestModels) {
        expect({ route: route.key, body }).toEqual({ route: route.key, body: undefined });
        continue;
      }
      expect(body.required).toBe(true);
      for (const [type, model] of Object.entries(route.requestModels)) {
        expect(body.content[type].schema).toEqual({ $ref: `#/components/schemas/${model}` });
        const deployed = JSON.parse(spec.models.find((m) => m.name === model)!.schema);
        expect(committed.components.schemas[model]).toEqual(withoutDialect(MODELS[model]));
        expect(committed.components.schemas[model]).toEqual(withoutDialect(deployed));
      }
    }
  });

  it('declares every request parameter of the API spec, required exactly as API Gateway requires it', () => {
    for (const route of spec.routes) {
      const declared = Object.entries(route.requestParameters ?? {}).map(([key, required]) => {
        const header = key.startsWith(headerParameter(''));
        const name = key.slice((header ? headerParameter('') : querystringParameter('')).length);
        return { in: header ? 'header' : 'query', name, required };
      });
      const documented = (operationOf(route.key).parameters as Json[]).map((p) => ({
        in: p.in,
        name: p.name,
        required: p.required,
      }));
      expect({ route: route.key, parameters: documented }).toEqual({ route: route.key, parameters: declared });
    }
  });

  it("bounds the query parameters by the contract's limits, status enum, tracking_id and RFC 3339 schemas", () => {
    const query = (key: keyof typeof ROUTES) =>
      Object.fromEntries((operationOf(key).parameters as Json[]).map((p) => [p.name, p.schema]));
    const status = query('status');
    expect(status.tracking_id).toEqual(TRACKING_UPDATE_SCHEMA.properties.tracking_id);
    expect(status.limit).toEqual({
      type: 'integer',
      minimum: LIMITS.pageSizeMin,
      maximum: LIMITS.pageSizeMax,
      default: LIMITS.pageSizeDefault,
    });
    const shipments = query('shipments');
    expect(shipments.status).toEqual({ type: 'string', enum: [...STATUSES] });
    expect(shipments.limit).toEqual({
      type: 'integer',
      minimum: LIMITS.listPageSizeMin,
      maximum: LIMITS.listPageSizeMax,
      default: LIMITS.listPageSizeDefault,
    });
    expect(shipments.updated_before).toEqual(RFC3339_SCHEMA);
    expect(shipments.updated_after).toEqual(RFC3339_SCHEMA);
  });

  it('takes an optional Idempotency-Key header on both POST routes (only), with the contract bounds', () => {
    for (const [at, op] of operations(resolved)) {
      const header = (op.parameters as Json[]).find((p) => p.in === 'header' && p.name === IDEMPOTENCY.header);
      if (!at.startsWith('POST ')) {
        expect({ at, header }).toEqual({ at, header: undefined });
        continue;
      }
      expect({ at, required: header?.required, schema: header?.schema }).toEqual({
        at,
        required: false,
        schema: {
          type: 'string',
          minLength: IDEMPOTENCY.minLength,
          maxLength: IDEMPOTENCY.maxLength,
          pattern: IDEMPOTENCY.pattern,
        },
      });
    }
    expect(operations(resolved).filter(([at]) => at.startsWith('POST '))).toHaveLength(2);
  });

  it('signs every operation with SigV4, declared as API Gateway exports AWS_IAM', () => {
    expect(committed.components.securitySchemes).toEqual({
      sigv4: expect.objectContaining({
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      }),
    });
    for (const [at, op] of operations(committed))
      expect({ at, security: op.security }).toEqual({ at, security: [{ sigv4: [] }] });
  });

  it('lists the errors each operation can answer, every one with the error schema', () => {
    const errorSchema = withoutDialect(ERROR_RESPONSE_SCHEMA);
    const expected: Record<keyof typeof ROUTES, number[]> = {
      track: [400, 403, 409, 413, 415, 422, 429, 500, 502, 503, 504],
      trackBatch: [400, 403, 409, 413, 415, 422, 429, 500, 502, 503, 504],
      status: [400, 403, 404, 429, 500, 502, 503, 504],
      shipments: [400, 403, 429, 500, 502, 503, 504],
    };
    for (const key of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
      const responses = operationOf(key).responses as Json;
      const errors = Object.keys(responses)
        .map(Number)
        .filter((status) => status >= 400);
      expect({ key, errors }).toEqual({ key, errors: expected[key] });
      for (const status of errors) {
        expect({ key, status, schema: responses[status].content['application/json'].schema }).toEqual({
          key,
          status,
          schema: errorSchema,
        });
      }
    }
  });

  it('answers with the success bodies of lambda/contract-responses.ts', () => {
    const success = (key: keyof typeof ROUTES, status: number) =>
      operationOf(key).responses[status].content['application/json'].schema;
    expect(success('track', 200)).toEqual(withoutDialect(RESPONSE_SCHEMAS.TrackStored));
    expect(success('track', 202)).toEqual(withoutDialect(RESPONSE_SCHEMAS.TrackQueued));
    expect(success('trackBatch', 200)).toEqual(withoutDialect(RESPONSE_SCHEMAS.TrackBatchResult));
    expect(success('trackBatch', 202)).toEqual(withoutDialect(RESPONSE_SCHEMAS.TrackBatchResult));
    expect(success('status', 200)).toEqual(withoutDialect(RESPONSE_SCHEMAS.StatusPage));
    expect(success('shipments', 200)).toEqual(withoutDialect(RESPONSE_SCHEMAS.ShipmentsPage));
  });

  it('sends Retry-After with 409 and 503, and Idempotent-Replayed with the POST routes 200 and 202', () => {
    for (const [at, op] of operations(resolved)) {
      const headers = (status: number) => Object.keys(op.responses[status]?.headers ?? {});
      expect({ at, 503: headers(503) }).toEqual({ at, 503: ['Retry-After'] });
      if (!at.startsWith('POST ')) {
        expect({ at, 200: headers(200) }).toEqual({ at, 200: [] });
        continue;
      }
      expect({ at, 409: headers(409), 200: headers(200), 202: headers(202) }).toEqual({
        at,
        409: ['Retry-After'],
        200: [IDEMPOTENCY.replayedHeader],
        202: [IDEMPOTENCY.replayedHeader],
      });
    }
  });

  it('gives only examples that the schemas they illustrate accept', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const problems: string[] = [];
    let checked = 0;
    const check = (where: string, schema: object, value: unknown) => {
      checked++;
      const validate = ajv.compile(schema);
      if (!validate(value)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    for (const [at, op] of operations(resolved)) {
      for (const p of op.parameters as Json[])
        if (p.example !== undefined) check(`${at} ${p.name}`, p.schema, p.example);
      const media = [
        ...Object.entries(op.requestBody?.content ?? {}).map(([type, m]) => [`${at} body ${type}`, m] as const),
        ...Object.entries(op.responses as Json).flatMap(([status, r]) =>
          Object.entries((r as Json).content ?? {}).map(([type, m]) => [`${at} ${status} ${type}`, m] as const),
        ),
      ];
      for (const [where, m] of media as [string, Json][]) {
        for (const [name, ex] of Object.entries((m.examples ?? {}) as Json))
          check(`${where} ${name}`, m.schema, ex.value);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('names the deployed stage and the local API as servers, with their variables', () => {
    expect(committed.servers.map((s: Json) => [s.url, Object.keys(s.variables)])).toEqual([
      ['https://{api_id}.execute-api.{region}.amazonaws.com/{stage}', ['api_id', 'region', 'stage']],
      ['http://127.0.0.1:{port}/{stage}', ['port', 'stage']],
    ]);
    expect(committed.servers[1].variables.port.default).toBe(String(DEFAULT_PORT));
  });
});

describe('the error schema', () => {
  it('accepts the body of every gateway response the stack deploys (with and without details)', () => {
    const validate = new Ajv({ allErrors: true }).compile(ERROR_RESPONSE_SCHEMA);
    for (const response of GATEWAY_RESPONSES) {
      const body = JSON.parse(
        renderGatewayResponse(response, { message: 'Some "message"', validationError: '[a report]', requestId: 'r-1' }),
      );
      expect({ type: response.type, valid: validate(body), errors: validate.errors }).toEqual({
        type: response.type,
        valid: true,
        errors: null,
      });
    }
  });

  it('refuses what is not the error shape: no request_id, extra keys, details without a field', () => {
    const validate = new Ajv().compile(ERROR_RESPONSE_SCHEMA);
    expect(validate({ error: 'x', request_id: 'r' })).toBe(true);
    expect(validate({ error: 'x' })).toBe(false);
    expect(validate({ error: 'x', request_id: 'r', extra: 1 })).toBe(false);
    expect(validate({ error: 'x', request_id: 'r', details: [{ message: 'm' }] })).toBe(false);
  });
});
