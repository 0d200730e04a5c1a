/**
 * The REST API as plain data: models, validator, routes (method + integration), gateway responses.
 * lib/api.ts declares its resources from this, and the deployment's redeploy trigger is the hash of
 * it: a change to anything the API does (the contract's schema included) redeploys the stage, and
 * the hash is known at synth time. No Pulumi import.
 */
import { createHash } from 'crypto';
import { IDEMPOTENCY, MODELS, ROUTES, type ModelName, type RouteKey } from '../lambda/contract';
import { GATEWAY_RESPONSES, gatewayResponseTemplate, type GatewayErrorResponse } from './gateway-responses';

export const JSON_CONTENT_TYPE = 'application/json';

export interface RouteSpec {
  key: RouteKey;
  /** The resource path, from the stage: `/track/batch`. */
  path: string;
  httpMethod: string;
  authorization: 'AWS_IAM';
  /** Content type -> model name (API Gateway model names are alphanumeric and scoped to their API). */
  requestModels?: Record<string, ModelName>;
  /** `method.request.querystring.<name>` / `method.request.header.<name>` -> required. */
  requestParameters?: Record<string, boolean>;
  integration: { type: 'AWS_PROXY'; integrationHttpMethod: 'POST'; functionName: string };
}

interface ModelSpec {
  name: ModelName;
  contentType: string;
  schema: string;
}

export interface ApiSpec {
  models: ModelSpec[];
  validator: { name: string; validateRequestBody: boolean; validateRequestParameters: boolean };
  routes: RouteSpec[];
  gatewayResponses: { responseType: string; statusCode?: string; responseTemplates: Record<string, string> }[];
}

export interface ApiSpecInputs {
  functionName: string;
  validatorName: string;
  /** The models' schemas; the contract's unless a test substitutes one. */
  models?: Partial<Record<ModelName, object>>;
  gatewayResponses?: readonly GatewayErrorResponse[];
}

/** `/track/batch` -> `track-batch`, `TrackingUpdate` -> `tracking-update`: the base of a child resource's name. */
export function childName(name: string): string {
  return name
    .replace(/^\//, '')
    .replace(/\//g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

export const querystringParameter = (name: string) => `method.request.querystring.${name}`;
export const headerParameter = (name: string) => `method.request.header.${name}`;

/** The request parameters a route declares -> required: the validator refuses a missing required one. */
function requestParameters(key: RouteKey): Record<string, boolean> {
  const route = ROUTES[key];
  const parameters: Record<string, boolean> = {};
  if ('model' in route) {
    parameters[headerParameter(IDEMPOTENCY.header)] = false;
    return parameters;
  }
  for (const name of route.requiredQuery) parameters[querystringParameter(name)] = true;
  for (const name of route.optionalQuery) parameters[querystringParameter(name)] = false;
  return parameters;
}

export function apiSpec(inputs: ApiSpecInputs): ApiSpec {
  const integration = { type: 'AWS_PROXY', integrationHttpMethod: 'POST', functionName: inputs.functionName } as const;
  const routes = (Object.keys(ROUTES) as RouteKey[]).map((key): RouteSpec => {
    const route = ROUTES[key];
    return {
      key,
      path: route.path,
      httpMethod: route.method,
      authorization: 'AWS_IAM',
      requestModels: 'model' in route ? { [JSON_CONTENT_TYPE]: route.model } : undefined,
      requestParameters: requestParameters(key),
      integration,
    };
  });
  return {
    models: (Object.keys(MODELS) as ModelName[]).map((name) => ({
      name,
      contentType: JSON_CONTENT_TYPE,
      schema: JSON.stringify(inputs.models?.[name] ?? MODELS[name]),
    })),
    validator: { name: inputs.validatorName, validateRequestBody: true, validateRequestParameters: true },
    routes,
    gatewayResponses: (inputs.gatewayResponses ?? GATEWAY_RESPONSES).map((r) => ({
      responseType: r.type,
      statusCode: r.statusCode === undefined ? undefined : String(r.statusCode),
      responseTemplates: { [JSON_CONTENT_TYPE]: gatewayResponseTemplate(r) },
    })),
  };
}

/** JSON with object keys sorted at every level, so the hash depends on content, not key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The deployment's `triggers.redeployment`: sha256 of the whole API definition. */
export function redeploymentHash(spec: ApiSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex');
}
