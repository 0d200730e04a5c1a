/**
 * The API definition the deployment trigger hashes: any change to what the API does (the contract's
 * schema, a gateway response, a route) changes the hash and so redeploys the stage; nothing else does.
 */
import { MODELS, ROUTES } from '../../lambda/contract';
import { GATEWAY_RESPONSES } from '../../lib/gateway-responses';
import { apiSpec, redeploymentHash, stableJson, type ApiSpecInputs } from '../../lib/api-spec';

const base: ApiSpecInputs = { functionName: 'tracking-api-dev', validatorName: 'tracking-api-validator-dev' };
const hash = (inputs: Partial<ApiSpecInputs> = {}) => redeploymentHash(apiSpec({ ...base, ...inputs }));

describe('API definition', () => {
  it("has one model per contract MODELS entry, each the contract's schema verbatim", () => {
    const models = apiSpec(base).models;
    expect(models.map((m) => m.name)).toEqual(Object.keys(MODELS));
    for (const model of models) expect(JSON.parse(model.schema)).toEqual(MODELS[model.name]);
  });

  it('has no oneOf/anyOf at the top of a model (API Gateway would report only the combinator)', () => {
    for (const model of apiSpec(base).models) {
      const schema = JSON.parse(model.schema);
      expect([model.name, schema.oneOf, schema.anyOf]).toEqual([model.name, undefined, undefined]);
      expect(schema.type).toBe('object');
    }
  });

  it('has POST /track, POST /track/batch, GET /status and GET /shipments (the contract ROUTES), each AWS_IAM to the function', () => {
    const routes = apiSpec(base).routes;
    expect(routes.map((r) => [r.httpMethod, r.path])).toEqual(
      Object.values(ROUTES).map((route) => [route.method, route.path]),
    );
    for (const route of routes) {
      expect(route.authorization).toBe('AWS_IAM');
      expect(route.integration).toEqual({
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        functionName: base.functionName,
      });
    }
    expect(routes.find((r) => r.key === 'track')?.requestModels).toEqual({ 'application/json': 'TrackingUpdate' });
    expect(routes.find((r) => r.key === 'trackBatch')?.requestModels).toEqual({ 'application/json': 'TrackingBatch' });
  });

  it('declares the optional Idempotency-Key header on both POST routes (documented, never required)', () => {
    for (const key of ['track', 'trackBatch']) {
      expect(apiSpec(base).routes.find((r) => r.key === key)?.requestParameters).toEqual({
        'method.request.header.Idempotency-Key': false,
      });
    }
  });

  it('lets the request validator require the query parameters each GET route requires, and only those', () => {
    const parameters = (key: string) => apiSpec(base).routes.find((r) => r.key === key)?.requestParameters;
    expect(parameters('status')).toEqual({
      'method.request.querystring.tracking_id': true,
      'method.request.querystring.limit': false,
      'method.request.querystring.last_key': false,
    });
    expect(parameters('shipments')).toEqual({
      'method.request.querystring.status': true,
      'method.request.querystring.limit': false,
      'method.request.querystring.cursor': false,
      'method.request.querystring.updated_before': false,
      'method.request.querystring.updated_after': false,
    });
    expect(apiSpec(base).validator).toMatchObject({ validateRequestBody: true, validateRequestParameters: true });
  });

  it('has one gateway response per GATEWAY_RESPONSES entry', () => {
    expect(apiSpec(base).gatewayResponses.map((r) => r.responseType)).toEqual(GATEWAY_RESPONSES.map((r) => r.type));
  });
});

describe('redeployment trigger', () => {
  it('is a sha256, the same for the same definition', () => {
    expect(hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(hash()).toBe(hash());
  });

  it("changes when a contract model's schema changes", () => {
    const schema: { properties: { tracking_id: { maxLength: number } } } = JSON.parse(
      JSON.stringify(MODELS.TrackingUpdate),
    );
    schema.properties.tracking_id.maxLength += 1;
    expect(hash({ models: { TrackingUpdate: schema } })).not.toBe(hash());
  });

  it('changes when a gateway response changes', () => {
    const responses = GATEWAY_RESPONSES.map((r) => (r.type === 'THROTTLED' ? { ...r, statusCode: 503 } : r));
    expect(hash({ gatewayResponses: responses })).not.toBe(hash());
    expect(hash({ gatewayResponses: GATEWAY_RESPONSES.slice(1) })).not.toBe(hash());
  });

  it('changes when the integration target or the validator changes', () => {
    expect(hash({ functionName: 'tracking-api-other' })).not.toBe(hash());
    expect(hash({ validatorName: 'another-validator' })).not.toBe(hash());
  });

  it('does not depend on key order', () => {
    expect(stableJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(
      stableJson({ a: { c: 3, d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
    expect(stableJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});
