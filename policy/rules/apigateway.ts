/** API Gateway (REST, v1): authorization, request validation, stage logging, tracing, throttling. */
import type { PolicyResource } from '@pulumi/policy';
import { num, obj, ofType, resourceRule, sameString, stackRule, str } from '../lib/kit';
import { dependencyOf, executionLogGroupName, logGroupByName, sameApi } from '../lib/links';
import { T } from '../lib/types';

const AUTHORIZED = new Set(['AWS_IAM', 'COGNITO_USER_POOLS', 'CUSTOM']);
const EXECUTION_LOG_LEVELS = new Set(['ERROR', 'INFO']);

const methodAuthorization = resourceRule({
  name: 'apigateway-method-authorization',
  summary: 'Every API Gateway method requires authorization (AWS_IAM or an authorizer), never NONE.',
  controls: { checkov: ['CKV_AWS_59', 'CKV2_AWS_70'], cdkNag: ['AwsSolutions-APIG4'] },
  severity: 'critical',
  remediation: 'Set `authorization: "AWS_IAM"` on the method (or COGNITO_USER_POOLS/CUSTOM with an authorizerId).',
  types: [T.method],
  check: (props, report) => {
    const authorization = str(props.authorization);
    if (!authorization || !AUTHORIZED.has(authorization)) {
      report(
        `method ${str(props.httpMethod) ?? '?'} has authorization ${JSON.stringify(authorization ?? null)}; callers would reach the backend unauthenticated`,
      );
    } else if (authorization !== 'AWS_IAM' && !str(props.authorizerId)) {
      report(`method ${str(props.httpMethod) ?? '?'} uses ${authorization} without an authorizerId`);
    }
  },
});

/**
 * The validators a method points at: through the engine's property dependency, by id, through its
 * dependencies, else every validator of its API.
 */
function validatorsOf(method: PolicyResource, validators: PolicyResource[]): PolicyResource[] {
  const byProperty = dependencyOf(method, 'requestValidatorId').filter((r) => r.type === T.requestValidator);
  if (byProperty.length) return byProperty;
  const id = str(method.props.requestValidatorId);
  const byId = validators.filter((v) => id !== undefined && str(v.props.id) === id);
  if (byId.length) return byId;
  const byDependency = (method.dependencies ?? []).filter((r) => r.type === T.requestValidator);
  return byDependency.length ? byDependency : validators.filter((v) => sameApi(v, method));
}

const postValidation = stackRule({
  name: 'apigateway-post-validation',
  summary: 'Every POST method has a request validator that validates the body against a model defined in the stack.',
  controls: { checkov: ['CKV2_AWS_53'], cdkNag: ['AwsSolutions-APIG2'] },
  severity: 'high',
  remediation:
    'Give the method `requestValidatorId` (a RequestValidator with validateRequestBody: true) and `requestModels: {"application/json": <model name>}`.',
  check: (resources, report) => {
    const validators = ofType(resources, T.requestValidator);
    const models = ofType(resources, T.model);
    for (const method of ofType(resources, T.method)) {
      if (str(method.props.httpMethod)?.toUpperCase() !== 'POST') continue;
      if (!str(method.props.requestValidatorId)) {
        report(method, 'POST method has no request validator');
      } else {
        const linked = validatorsOf(method, validators);
        if (!linked.length) report(method, 'the request validator of this POST method is not defined in the stack');
        else if (linked.some((v) => v.props.validateRequestBody !== true)) {
          report(
            method,
            'the request validator of this POST method does not validate the body (validateRequestBody is not true)',
          );
        }
      }
      const requestModels = obj(method.props.requestModels) ?? {};
      const modelNames = Object.values(requestModels).filter((v): v is string => typeof v === 'string');
      if (!modelNames.length) report(method, 'POST method has no request model');
      for (const modelName of modelNames) {
        const model = models.find((m) => str(m.props.name) === modelName && sameApi(m, method));
        if (!model) report(method, `request model "${modelName}" is not defined in the stack`);
        else if (!str(model.props.schema)) report(model, 'model has no schema');
      }
    }
  },
});

const stageXray = resourceRule({
  name: 'apigateway-stage-xray',
  summary: 'API Gateway stages have X-Ray tracing enabled.',
  controls: { checkov: ['CKV_AWS_73'], fsbp: ['APIGateway.3'] },
  severity: 'medium',
  remediation: 'Set `xrayTracingEnabled: true` on the stage.',
  types: [T.stage],
  check: (props, report) => {
    if (props.xrayTracingEnabled !== true) report('X-Ray tracing is not enabled on the stage');
  },
});

/** True when a `$context` access-log template is a JSON object once its variables are filled in. */
export function isJsonTemplate(format: string): boolean {
  try {
    const sample = JSON.parse(format.replace(/\$context\.[A-Za-z0-9_.]+/g, '0'));
    return obj(sample) !== undefined;
  } catch {
    return false;
  }
}

const stageAccessLogs = resourceRule({
  name: 'apigateway-stage-access-logs',
  summary: 'API Gateway stages write JSON access logs (with the request id) to a CloudWatch log group.',
  controls: { checkov: ['CKV_AWS_76'], cdkNag: ['AwsSolutions-APIG1'] },
  severity: 'medium',
  remediation:
    'Set `accessLogSettings: {destinationArn: <log group ARN>, format: JSON.stringify({requestId: "$context.requestId", ...})}`.',
  types: [T.stage],
  check: (props, report) => {
    const settings = obj(props.accessLogSettings);
    const destination = str(settings?.destinationArn);
    const format = str(settings?.format);
    if (!destination) {
      report('the stage has no access log destination');
      return;
    }
    if (!/^arn:aws[a-z-]*:logs:/.test(destination))
      report(`access logs go to ${destination}, not a CloudWatch log group`);
    if (!format || !isJsonTemplate(format)) report('the access log format is not a JSON object');
    else if (!format.includes('$context.requestId')) report('the access log format does not record $context.requestId');
  },
});

/** The `*\/*` (stage-wide) method settings of a stage. */
function stageWideSettings(stage: PolicyResource, all: PolicyResource[]): PolicyResource[] {
  return ofType(all, T.methodSettings).filter(
    (s) =>
      str(s.props.methodPath) === '*/*' &&
      sameString(s.props.stageName, stage.props.stageName) !== false &&
      sameApi(s, stage),
  );
}

function settingsOf(resource: PolicyResource) {
  return obj(resource.props.settings) ?? {};
}

const executionLogging = stackRule({
  name: 'apigateway-execution-logging',
  summary:
    'Every stage has execution logging on for all methods (loggingLevel ERROR or INFO in its */* method settings).',
  controls: { checkov: ['CKV2_AWS_4'], fsbp: ['APIGateway.1'], cdkNag: ['AwsSolutions-APIG6'] },
  severity: 'medium',
  remediation: 'Add MethodSettings with methodPath "*/*" and settings.loggingLevel "ERROR" (or "INFO") for the stage.',
  check: (resources, report) => {
    for (const stage of ofType(resources, T.stage)) {
      const levels = stageWideSettings(stage, resources).map((s) => str(settingsOf(s).loggingLevel));
      if (!levels.some((l) => l !== undefined && EXECUTION_LOG_LEVELS.has(l))) {
        report(
          stage,
          `execution logging is off (stage-wide loggingLevel: ${levels.length ? levels.join(', ') : 'no */* method settings'})`,
        );
      }
    }
  },
});

const noDataTrace = resourceRule({
  name: 'apigateway-no-data-trace',
  summary: 'Execution logging never logs full request and response bodies (dataTraceEnabled is not true).',
  controls: { checkov: ['CKV_AWS_276'] },
  severity: 'high',
  remediation: 'Set `settings.dataTraceEnabled: false`; bodies carry shipment positions and metadata (PII).',
  types: [T.methodSettings],
  check: (props, report) => {
    if (obj(props.settings)?.dataTraceEnabled === true) {
      report(
        `method settings ${str(props.methodPath) ?? ''} log full request/response bodies (dataTraceEnabled: true)`,
      );
    }
  },
});

const stageThrottling = stackRule({
  name: 'apigateway-stage-throttling',
  summary: 'Every stage sets a stage-wide throttling rate and burst limit.',
  controls: { other: ['AWS Well-Architected REL05-BP02 (throttle requests)'] },
  severity: 'medium',
  remediation:
    "Set settings.throttlingRateLimit and settings.throttlingBurstLimit (> 0) in the stage's */* MethodSettings.",
  check: (resources, report) => {
    for (const stage of ofType(resources, T.stage)) {
      const throttled = stageWideSettings(stage, resources).some((s) => {
        const settings = settingsOf(s);
        return (num(settings.throttlingRateLimit) ?? 0) > 0 && (num(settings.throttlingBurstLimit) ?? 0) > 0;
      });
      if (!throttled) report(stage, 'no stage-wide throttling rate and burst limit');
    }
  },
});

const cacheEncrypted = resourceRule({
  name: 'apigateway-cache-encrypted',
  summary: 'Where API Gateway response caching is on, cached data is encrypted.',
  controls: { checkov: ['CKV_AWS_308'], fsbp: ['APIGateway.5'] },
  severity: 'medium',
  remediation: 'Set `settings.cacheDataEncrypted: true` wherever `settings.cachingEnabled` is true.',
  types: [T.methodSettings],
  check: (props, report) => {
    const settings = obj(props.settings);
    if (settings?.cachingEnabled === true && settings.cacheDataEncrypted !== true)
      report('response cache is not encrypted');
  },
});

const executionLogRetention = stackRule({
  name: 'apigateway-execution-log-retention',
  summary: 'A stage with execution logging has its execution log group created by the stack, with a retention period.',
  controls: { checkov: ['CKV_AWS_66'], fsbp: ['CloudWatch.16'] },
  severity: 'medium',
  remediation:
    'Create the LogGroup "API-Gateway-Execution-Logs_<restApiId>/<stage>" with retentionInDays before the stage; otherwise API Gateway creates it with no expiry.',
  check: (resources, report) => {
    for (const stage of ofType(resources, T.stage)) {
      const logging = stageWideSettings(stage, resources).some((s) =>
        EXECUTION_LOG_LEVELS.has(str(settingsOf(s).loggingLevel) ?? ''),
      );
      const name = executionLogGroupName(stage);
      if (!logging || !name) continue;
      const group = logGroupByName(resources, name);
      if (!group)
        report(
          stage,
          `execution log group ${name} is not managed by the stack (API Gateway would create it without retention)`,
        );
      else if ((num(group.props.retentionInDays) ?? 0) <= 0) report(group, 'execution log group has no retention');
    }
  },
});

export const apigatewayRules = [
  methodAuthorization,
  postValidation,
  stageXray,
  stageAccessLogs,
  executionLogging,
  noDataTrace,
  stageThrottling,
  cacheEncrypted,
  executionLogRetention,
];
