/**
 * The REST API: declared from lib/api-spec.ts (model, validator, routes, gateway responses), then the
 * deployment (redeployed when the spec's hash changes), the stage with access logs and X-Ray, the
 * stage-wide method settings, and one invoke permission per route.
 */
import * as pulumi from '@pulumi/pulumi';
import * as apigateway from '@pulumi/aws/apigateway';
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as lambda from '@pulumi/aws/lambda';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';
import { apiSpec, childName, redeploymentHash, type ApiSpec } from './api-spec';

/** One JSON object per request in the access log group. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  callerArn: '$context.identity.userArn',
  sourceIp: '$context.identity.sourceIp',
  errorMessage: '$context.error.message',
  xrayTraceId: '$context.xrayTraceId',
});

export interface Api {
  spec: ApiSpec;
  restApi: apigateway.RestApi;
  deployment: apigateway.Deployment;
  stage: apigateway.Stage;
  accessLogGroup: cloudwatch.LogGroup;
}

export function createApi(
  scope: Scope,
  args: TapStackArgs,
  deps: { fn: lambda.Function; functionName: string; account?: apigateway.Account },
): Api {
  const suffix = args.environmentSuffix;
  const names = resourceNames(suffix);
  const parent = scope.parent;
  const spec = apiSpec({ functionName: deps.functionName, validatorName: names.requestValidator });

  const restApi = new apigateway.RestApi(
    scope.name('rest-api'),
    {
      name: names.restApi,
      description: 'Logistics tracking API (IAM-authorized)',
      endpointConfiguration: { types: 'REGIONAL' },
    },
    { parent },
  );
  const restApiId = restApi.id;

  const models = spec.models.map(
    (model) =>
      new apigateway.Model(scope.name(`${childName(model.name)}-model`), { restApi: restApiId, ...model }, { parent }),
  );
  const validator = new apigateway.RequestValidator(
    scope.name('request-validator'),
    { restApi: restApiId, ...spec.validator },
    { parent },
  );

  // One resource per path segment (`/track/batch` is `batch` under `track`), shared by the routes.
  const resources = new Map<string, apigateway.Resource>();
  const resourceFor = (path: string): apigateway.Resource => {
    const existing = resources.get(path);
    if (existing) return existing;
    const at = path.lastIndexOf('/');
    const parentPath = path.slice(0, at);
    const resource = new apigateway.Resource(
      scope.name(`${childName(path)}-resource`),
      {
        restApi: restApiId,
        parentId: parentPath === '' ? restApi.rootResourceId : resourceFor(parentPath).id,
        pathPart: path.slice(at + 1),
      },
      { parent },
    );
    resources.set(path, resource);
    return resource;
  };

  const routeResources: pulumi.Resource[] = [];
  for (const route of spec.routes) {
    const resource = resourceFor(route.path);
    const routeName = childName(route.path);
    const method = new apigateway.Method(
      scope.name(`${routeName}-method`),
      {
        restApi: restApiId,
        resourceId: resource.id,
        httpMethod: route.httpMethod,
        authorization: route.authorization,
        requestValidatorId: validator.id,
        requestModels: route.requestModels,
        requestParameters: route.requestParameters,
      },
      // requestModels names the models: they must exist first.
      { parent, dependsOn: models },
    );
    const integration = new apigateway.Integration(
      scope.name(`${routeName}-integration`),
      {
        restApi: restApiId,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: route.integration.type,
        integrationHttpMethod: route.integration.integrationHttpMethod,
        uri: deps.fn.invokeArn,
      },
      { parent },
    );
    // Only this API, only this route, may invoke the function (any stage of it).
    new lambda.Permission(
      scope.name(`${routeName}-invoke-permission`),
      {
        action: 'lambda:InvokeFunction',
        function: deps.fn.name,
        principal: 'apigateway.amazonaws.com',
        sourceArn: pulumi.interpolate`${restApi.executionArn}/*/${route.httpMethod}${route.path}`,
      },
      { parent },
    );
    routeResources.push(method, integration);
  }

  const gatewayResponses = spec.gatewayResponses.map(
    (response) =>
      new apigateway.Response(
        scope.name(`gateway-response-${response.responseType.toLowerCase().replace(/_/g, '-')}`),
        { restApiId, ...response },
        { parent },
      ),
  );

  const deployment = new apigateway.Deployment(
    scope.name('deployment'),
    {
      restApi: restApiId,
      description: 'Tracking API',
      // A deployment is a snapshot: without a new one, changes to the API never reach the stage.
      triggers: { redeployment: redeploymentHash(spec) },
    },
    { parent, dependsOn: [...routeResources, ...models, validator, ...gatewayResponses] },
  );

  const accessLogGroup = new cloudwatch.LogGroup(
    scope.name('api-access-log-group'),
    { name: names.accessLogGroup, retentionInDays: args.logRetentionDays },
    { parent },
  );
  // API Gateway would create its execution log group itself, without retention; create it first.
  const executionLogGroup = new cloudwatch.LogGroup(
    scope.name('api-execution-log-group'),
    {
      name: pulumi.interpolate`API-Gateway-Execution-Logs_${restApiId}/${suffix}`,
      retentionInDays: args.logRetentionDays,
    },
    { parent },
  );
  // Stage logging fails until the account-level CloudWatch role is set.
  const accountDependency = deps.account ? [deps.account] : [];

  const stage = new apigateway.Stage(
    scope.name('stage'),
    {
      restApi: restApiId,
      deployment: deployment.id,
      stageName: names.stage,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
    },
    { parent, dependsOn: [executionLogGroup, ...accountDependency] },
  );

  new apigateway.MethodSettings(
    scope.name('method-settings'),
    {
      restApi: restApiId,
      stageName: stage.stageName,
      methodPath: '*/*',
      settings: {
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        // Full request/response logging would write bodies (customer data) to CloudWatch.
        dataTraceEnabled: false,
        throttlingRateLimit: args.apiRateLimit,
        throttlingBurstLimit: args.apiBurstLimit,
      },
    },
    { parent, dependsOn: accountDependency },
  );

  return { spec, restApi, deployment, stage, accessLogGroup };
}
