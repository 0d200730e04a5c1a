/**
 * The API definition the deployment trigger hashes: any change to what the API does (the contract's
 * schema, a gateway response, a route) changes the hash and so redeploys the stage; nothing else does.
 */
import { ROUTES, TRACKING_REQUEST_SCHEMA } from '../../lambda/contract';
import { GATEWAY_RESPONSES } from '../../lib/gateway-responses';
import { apiSpec, redeploymentHash, stableJson, type ApiSpecInputs } from '../../lib/api-spec';

const base: ApiSpecInputs = { functionName: 'tracking-api-dev', validatorName: 'tracking-api-validator-dev' };
const hash = (inputs: Partial<ApiSpecInputs> = {}) => redeploymentHash(apiSpec({ ...base, ...inputs }));

describe('API definition', () => {
  it("models POST bodies with the contract's schema, verbatim", () => {
    expect(JSON.parse(apiSpec(base).model.schema)).toEqual(TRACKING_REQUEST_SCHEMA);
  });

  it('has POST /track, GET /status and GET /shipments (the contract ROUTES), each AWS_IAM to the function', () => {
    const routes = apiSpec(base).routes;
    expect(routes.map((r) => [r.httpMethod, `/${r.pathPart}`])).toEqual(
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
    expect(routes.find((r) => r.key === 'track')?.requestModels).toEqual({ 'application/json': 'TrackingRequest' });
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

  it("changes when the contract's schema changes", () => {
    const schema: { oneOf: { properties: { tracking_id: { maxLength: number } } }[] } = JSON.parse(
      JSON.stringify(TRACKING_REQUEST_SCHEMA),
    );
    schema.oneOf[0].properties.tracking_id.maxLength += 1;
    expect(hash({ schema })).not.toBe(hash());
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
