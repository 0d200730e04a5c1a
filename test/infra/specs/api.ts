/** The REST API: model, validator, routes, gateway responses, deployment, stage, permissions. */
import { GATEWAY_RESPONSES, gatewayResponseTemplate } from '../../../lib/gateway-responses';
import { MODELS } from '../../../lambda/contract';
import { apiSpec, childName, redeploymentHash } from '../../../lib/api-spec';
import { fakeId } from '../../../scripts/synth';
import { TYPES, inputs, ofType, only, type Inputs } from '../helpers';
import type { Synths } from './synths';

/** The routes the stack declares: whatever lib/api-spec.ts lists (lib/api.ts declares them generically). */
const SPEC = apiSpec({ functionName: 'tracking-api-dev', validatorName: 'tracking-api-validator-dev' });
const ROUTES = SPEC.routes;

const INVOKE_ARN =
  'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:tracking-api-dev/invocations';

export function restApiSpec(s: Synths): void {
  const apiId = () => s.dev.outputs.api_id as string;
  const resourceName = (path: string) => `tap-${childName(path)}-resource`;
  const methodName = (path: string) => `tap-${childName(path)}-method`;

  it('is a REGIONAL REST API', () => {
    const api = inputs(s.dev, TYPES.restApi);
    expect(api.name).toBe('tracking-api-dev');
    expect(api.endpointConfiguration).toEqual({ types: 'REGIONAL' });
  });

  it("has exactly the spec's paths, one resource per segment: /track and /status under the root, /track/batch under /track", () => {
    const resources = ofType(s.dev, TYPES.resource);
    const byName = (name: string) => resources.find((r) => r.name === name)!;
    expect(resources.map((r) => r.name).sort()).toEqual(
      ['/track', '/track/batch', '/status', '/shipments'].map(resourceName).sort(),
    );
    expect(ROUTES.map((r) => r.path).sort()).toEqual(['/shipments', '/status', '/track', '/track/batch']);
    for (const path of ['/track', '/status', '/shipments']) {
      const resource = byName(resourceName(path));
      expect([path, resource.inputs.pathPart, resource.inputs.parentId]).toEqual([
        path,
        path.slice(1),
        fakeId(`root/${apiId()}`),
      ]);
    }
    const batch = byName(resourceName('/track/batch'));
    expect(batch.inputs.pathPart).toBe('batch');
    expect(batch.inputs.parentId).toBe(byName(resourceName('/track')).id);
    for (const r of resources) expect(r.inputs.restApi).toBe(apiId());
  });

  describe('methods', () => {
    it("are the spec's routes (POST /track, GET /status, ...), and every one requires AWS_IAM (SigV4)", () => {
      const methods = ofType(s.dev, TYPES.method);
      expect(methods.map((m) => `${m.inputs.httpMethod} ${m.name}`).sort()).toEqual(
        ROUTES.map((r) => `${r.httpMethod} ${methodName(r.path)}`).sort(),
      );
      for (const m of methods) expect(m.inputs.authorization).toBe('AWS_IAM');
    });

    it('every route is declared as the spec says: its own resource, its parameters or model, the one validator', () => {
      const validatorId = only(s.dev, TYPES.validator).id;
      for (const route of ROUTES) {
        const method = inputs(s.dev, TYPES.method, methodName(route.path));
        expect([route.key, method.resourceId]).toEqual([
          route.key,
          only(s.dev, TYPES.resource, resourceName(route.path)).id,
        ]);
        expect([route.key, method.requestParameters, method.requestModels]).toEqual([
          route.key,
          route.requestParameters,
          route.requestModels,
        ]);
        expect([route.key, method.requestValidatorId]).toEqual([route.key, validatorId]);
      }
    });

    it.each([
      ['/track', 'TrackingUpdate'],
      ['/track/batch', 'TrackingBatch'],
    ])('POST %s validates its JSON body against the %s model, and waits for it', (path, model) => {
      const post = inputs(s.dev, TYPES.method, methodName(path));
      expect(post.requestModels).toEqual({ 'application/json': model });
      expect(post.requestValidatorId).toBe(only(s.dev, TYPES.validator).id);
      expect(post.resourceId).toBe(only(s.dev, TYPES.resource, resourceName(path)).id);
      // requestModels names the model: the method must wait for it.
      expect(only(s.dev, TYPES.method, methodName(path)).dependencies).toContain(`tap-${childName(model)}-model`);
    });

    it('GET /status requires tracking_id; limit and last_key are optional', () => {
      const get = inputs(s.dev, TYPES.method, 'tap-status-method');
      expect(get.requestParameters).toEqual({
        'method.request.querystring.tracking_id': true,
        'method.request.querystring.limit': false,
        'method.request.querystring.last_key': false,
      });
      expect(get.requestValidatorId).toBe(inputs(s.dev, TYPES.method, 'tap-track-method').requestValidatorId);
    });
  });

  it("the models are the contract's draft-04 schemas, verbatim, one per MODELS entry", () => {
    const models = ofType(s.dev, TYPES.model).map(
      (m) => m.inputs as { name: string; contentType: string; schema: string },
    );
    expect(models.map((m) => m.name).sort()).toEqual(Object.keys(MODELS).sort());
    for (const model of models) {
      expect(model.contentType).toBe('application/json');
      expect(JSON.parse(model.schema)).toEqual(MODELS[model.name as keyof typeof MODELS]);
      expect(JSON.parse(model.schema).$schema).toBe('http://json-schema.org/draft-04/schema#');
    }
  });

  it('the validator checks bodies and parameters', () => {
    const validator = inputs(s.dev, TYPES.validator);
    expect(validator.validateRequestBody).toBe(true);
    expect(validator.validateRequestParameters).toBe(true);
  });

  it('every integration proxies to the API function (AWS_PROXY, invoked with POST), one per route', () => {
    const integrations = ofType(s.dev, TYPES.integration);
    expect(integrations.map((i) => i.name).sort()).toEqual(
      ROUTES.map((r) => `tap-${childName(r.path)}-integration`).sort(),
    );
    expect(integrations.map((i) => i.inputs.httpMethod).sort()).toEqual(ROUTES.map((r) => r.httpMethod).sort());
    for (const i of integrations) {
      expect(i.inputs).toMatchObject({ type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: INVOKE_ARN });
    }
  });

  it('the function may be invoked by this API only, route by route', () => {
    const permissions = ofType(s.dev, TYPES.permission).map((p) => p.inputs);
    const executionArn = `arn:aws:execute-api:us-west-2:123456789012:${apiId()}`;
    expect(permissions.map((p) => p.sourceArn).sort()).toEqual(
      ROUTES.map((r) => `${executionArn}/*/${r.httpMethod}${r.path}`).sort(),
    );
    expect(permissions.map((p) => p.sourceArn)).toEqual(
      expect.arrayContaining([
        `${executionArn}/*/GET/status`,
        `${executionArn}/*/POST/track`,
        `${executionArn}/*/POST/track/batch`,
      ]),
    );
    for (const p of permissions) {
      expect(p).toMatchObject({
        action: 'lambda:InvokeFunction',
        function: 'tracking-api-dev',
        principal: 'apigateway.amazonaws.com',
      });
    }
  });

  it("answers its own errors (one gateway response per type) in the handler's JSON error shape", () => {
    const responses = ofType(s.dev, TYPES.gatewayResponse).map((r) => r.inputs as Inputs);
    expect(responses.map((r) => r.responseType).sort()).toEqual(GATEWAY_RESPONSES.map((r) => r.type).sort());
    for (const expected of GATEWAY_RESPONSES) {
      const response = responses.find((r) => r.responseType === expected.type)!;
      expect(response.statusCode).toBe(expected.statusCode === undefined ? undefined : String(expected.statusCode));
      expect(response.responseTemplates).toEqual({ 'application/json': gatewayResponseTemplate(expected) });
      expect(response.restApiId).toBe(apiId());
    }
    const badBody = responses.find((r) => r.responseType === 'BAD_REQUEST_BODY')!;
    expect(badBody.responseTemplates['application/json']).toContain('$context.error.validationErrorString');
  });

  describe('deployment', () => {
    it('redeploys on the hash of every method, integration, model, validator and gateway response', () => {
      const expected = redeploymentHash(SPEC);
      expect(inputs(s.dev, TYPES.deployment).triggers).toEqual({ redeployment: expected });
    });

    it('waits for all of them, so a deployment never snapshots a half-built API', () => {
      const dependencies = only(s.dev, TYPES.deployment).dependencies;
      const apiParts = [TYPES.method, TYPES.integration, TYPES.model, TYPES.validator, TYPES.gatewayResponse].flatMap(
        (type) => ofType(s.dev, type).map((r) => r.name),
      );
      expect(apiParts).toHaveLength(ROUTES.length * 2 + Object.keys(MODELS).length + 1 + GATEWAY_RESPONSES.length);
      expect(dependencies).toEqual(expect.arrayContaining(apiParts));
    });
  });

  describe('stage', () => {
    it('is named after the suffix, serves the deployment, and traces with X-Ray', () => {
      const stage = only(s.dev, TYPES.stage);
      expect(stage.inputs.stageName).toBe('dev');
      expect(stage.inputs.xrayTracingEnabled).toBe(true);
      expect(stage.inputs.deployment).toBe(only(s.dev, TYPES.deployment).id);
      expect(inputs(s.pr7, TYPES.stage).stageName).toBe('pr7');
    });

    it('writes JSON access logs (request id, caller ARN, status, latencies) to its own log group', () => {
      const { accessLogSettings } = inputs(s.dev, TYPES.stage);
      const logGroup = inputs(s.dev, TYPES.logGroup, 'tap-api-access-log-group');
      expect(logGroup.name).toBe('/aws/apigateway/tracking-api-access-dev');
      expect(accessLogSettings.destinationArn).toBe(`arn:aws:logs:us-west-2:123456789012:log-group:${logGroup.name}`);
      const format = JSON.parse(accessLogSettings.format);
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        callerArn: '$context.identity.userArn',
        status: '$context.status',
        responseLatency: '$context.responseLatency',
        integrationLatency: '$context.integrationLatency',
        httpMethod: '$context.httpMethod',
        resourcePath: '$context.resourcePath',
      });
    });

    it('pre-creates the execution log group API Gateway writes to, so it has a retention', () => {
      const group = inputs(s.dev, TYPES.logGroup, 'tap-api-execution-log-group');
      expect(group.name).toBe(`API-Gateway-Execution-Logs_${apiId()}/dev`);
      expect(group.retentionInDays).toBe(7);
      expect(only(s.dev, TYPES.stage).dependencies).toContain('tap-api-execution-log-group');
    });

    it('settings: metrics on, errors logged, no body logging, throttling from config', () => {
      const settings = inputs(s.dev, TYPES.methodSettings);
      expect(settings.stageName).toBe('dev');
      expect(settings.methodPath).toBe('*/*');
      expect(settings.settings).toEqual({
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      });
      expect(inputs(s.variant, TYPES.methodSettings).settings).toMatchObject({
        throttlingRateLimit: 50,
        throttlingBurstLimit: 75,
      });
    });
  });

  describe('account-level CloudWatch role (manageApiGatewayAccount)', () => {
    it('when on: a role API Gateway assumes, with the push-to-CloudWatch policy, set on the account', () => {
      const role = inputs(s.dev, TYPES.role, 'tap-apigateway-cloudwatch-role');
      expect(role.name).toBe('apigateway-cloudwatch-dev');
      expect(JSON.parse(role.assumeRolePolicy).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(inputs(s.dev, TYPES.rolePolicyAttachment)).toEqual({
        role: 'apigateway-cloudwatch-dev',
        policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
      });
      expect(inputs(s.dev, TYPES.account)).toEqual({
        cloudwatchRoleArn: 'arn:aws:iam::123456789012:role/apigateway-cloudwatch-dev',
      });
    });

    it('when on: the role, its policy and the setting are retained on delete, and nothing else is', () => {
      // `pulumi destroy` (or dropping them from the program) leaves all three in the account: the
      // setting is shared by every REST API in the region and must keep pointing at a live role.
      const accountParts = [
        only(s.dev, TYPES.role, 'tap-apigateway-cloudwatch-role'),
        only(s.dev, TYPES.rolePolicyAttachment),
        only(s.dev, TYPES.account),
      ];
      for (const r of accountParts) expect([r.name, r.options]).toEqual([r.name, { retainOnDelete: true }]);
      const retained = (synth: typeof s.dev) =>
        synth.resources.filter((r) => r.options.retainOnDelete).map((r) => r.name);
      expect(retained(s.dev).sort()).toEqual(accountParts.map((r) => r.name).sort());
      expect(retained(s.variant)).toEqual([]);
    });

    it('when on: the stage and its logging settings wait for the account setting', () => {
      expect(only(s.dev, TYPES.stage).dependencies).toContain('tap-apigateway-account');
      expect(only(s.dev, TYPES.methodSettings).dependencies).toContain('tap-apigateway-account');
    });

    it('when off: none of it (the setting is one per account and region)', () => {
      expect(ofType(s.variant, TYPES.account)).toEqual([]);
      // The function roles, and the webhook's (the variant has a webhook): none for API Gateway.
      expect(ofType(s.variant, TYPES.role).map((r) => r.name)).toEqual([
        'tap-api-function-role',
        'tap-consumer-function-role',
        'tap-webhook-role',
      ]);
      expect(ofType(s.variant, TYPES.rolePolicyAttachment)).toEqual([]);
    });
  });
}
