/** Queries over a synth result, shared by the infra tests. */
import type { SynthResource, SynthResult } from '../../scripts/synth';

export type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TYPES = {
  stack: 'tap:stack:TapStack',
  table: 'aws:dynamodb/table:Table',
  queue: 'aws:sqs/queue:Queue',
  queuePolicy: 'aws:sqs/queuePolicy:QueuePolicy',
  parameter: 'aws:ssm/parameter:Parameter',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  rolePolicyAttachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  function: 'aws:lambda/function:Function',
  permission: 'aws:lambda/permission:Permission',
  eventSourceMapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  restApi: 'aws:apigateway/restApi:RestApi',
  model: 'aws:apigateway/model:Model',
  validator: 'aws:apigateway/requestValidator:RequestValidator',
  resource: 'aws:apigateway/resource:Resource',
  method: 'aws:apigateway/method:Method',
  integration: 'aws:apigateway/integration:Integration',
  gatewayResponse: 'aws:apigateway/response:Response',
  deployment: 'aws:apigateway/deployment:Deployment',
  stage: 'aws:apigateway/stage:Stage',
  methodSettings: 'aws:apigateway/methodSettings:MethodSettings',
  account: 'aws:apigateway/account:Account',
  topic: 'aws:sns/topic:Topic',
  subscription: 'aws:sns/topicSubscription:TopicSubscription',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  dashboard: 'aws:cloudwatch/dashboard:Dashboard',
  eventBus: 'aws:cloudwatch/eventBus:EventBus',
  eventConnection: 'aws:cloudwatch/eventConnection:EventConnection',
  eventApiDestination: 'aws:cloudwatch/eventApiDestination:EventApiDestination',
  eventRule: 'aws:cloudwatch/eventRule:EventRule',
  eventTarget: 'aws:cloudwatch/eventTarget:EventTarget',
} as const;

export function ofType(result: SynthResult, type: string): SynthResource[] {
  return result.resources.filter((r) => r.type === type);
}

/** The one resource of a type (optionally with that logical name); fails loudly otherwise. */
export function only(result: SynthResult, type: string, name?: string): SynthResource {
  const found = ofType(result, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ''}, found ${found.map((r) => r.name).join(', ') || 'none'}`,
    );
  }
  return found[0];
}

export const inputs = (result: SynthResult, type: string, name?: string): Inputs =>
  only(result, type, name).inputs as Inputs;
