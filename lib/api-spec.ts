/**
 * The REST API as plain data: model, validator, routes (method + integration), gateway responses.
 * lib/api.ts declares its resources from this, and the deployment's redeploy trigger is the hash of
 * it: a change to anything the API does (the contract's schema included) redeploys the stage, and
 * the hash is known at synth time. No Pulumi import.
 */
import { createHash } from 'crypto';
import { ROUTES, TRACKING_REQUEST_SCHEMA } from '../lambda/contract';
import { GATEWAY_RESPONSES, gatewayResponseTemplate, type GatewayErrorResponse } from './gateway-responses';

const JSON_CONTENT_TYPE = 'application/json';
/** API Gateway model names are alphanumeric and scoped to their API (so they carry no suffix). */
const MODEL_NAME = 'TrackingRequest';
/** Query parameters each GET route reads besides its required ones (ROUTES[route].requiredQuery). */
const OPTIONAL_QUERY = {
  status: ['limit', 'last_key'],
  shipments: ['limit', 'cursor', 'updated_before', 'updated_after'],
} as const;

export interface RouteSpec {
  key: keyof typeof ROUTES;
  pathPart: string;
  httpMethod: string;
  authorization: 'AWS_IAM';
  /** Content type -> model name. */
  requestModels?: Record<string, string>;
  /** `method.request.querystring.<name>` -> required. */
  requestParameters?: Record<string, boolean>;
  integration: { type: 'AWS_PROXY'; integrationHttpMethod: 'POST'; functionName: string };
}

export interface ApiSpec {
  model: { name: string; contentType: string; schema: string };
  validator: { name: string; validateRequestBody: boolean; validateRequestParameters: boolean };
  routes: RouteSpec[];
  gatewayResponses: { responseType: string; statusCode?: string; responseTemplates: Record<string, string> }[];
}

export interface ApiSpecInputs {
  functionName: string;
  validatorName: string;
  /** The POST body schema; the contract's unless a test substitutes another. */
  schema?: object;
  gatewayResponses?: readonly GatewayErrorResponse[];
}

const querystring = (name: string) => `method.request.querystring.${name}`;

/** `method.request.querystring.<name>` -> required, for a GET route: the validator refuses a missing required one. */
function queryParameters(route: keyof typeof OPTIONAL_QUERY): Record<string, boolean> {
  const parameters: Record<string, boolean> = {};
  for (const name of ROUTES[route].requiredQuery) parameters[querystring(name)] = true;
  for (const name of OPTIONAL_QUERY[route]) parameters[querystring(name)] = false;
  return parameters;
}

export function apiSpec(inputs: ApiSpecInputs): ApiSpec {
  const integration = { type: 'AWS_PROXY', integrationHttpMethod: 'POST', functionName: inputs.functionName } as const;
  const getRoute = (key: keyof typeof OPTIONAL_QUERY): RouteSpec => ({
    key,
    pathPart: ROUTES[key].path.slice(1),
    httpMethod: ROUTES[key].method,
    authorization: 'AWS_IAM',
    requestParameters: queryParameters(key),
    integration,
  });
  return {
    model: {
      name: MODEL_NAME,
      contentType: JSON_CONTENT_TYPE,
      schema: JSON.stringify(inputs.schema ?? TRACKING_REQUEST_SCHEMA),
    },
    validator: { name: inputs.validatorName, validateRequestBody: true, validateRequestParameters: true },
    routes: [
      {
        key: 'track',
        pathPart: ROUTES.track.path.slice(1),
        httpMethod: ROUTES.track.method,
        authorization: 'AWS_IAM',
        requestModels: { [JSON_CONTENT_TYPE]: MODEL_NAME },
        integration,
      },
      getRoute('status'),
      getRoute('shipments'),
    ],
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
