/** Lambda: runtime, tracing, logs, invoke permissions, concurrency, DLQ (or mapping on-failure destinations), environment. */
import { num, obj, ofType, resourceRule, stackRule, str } from '../lib/kit';
import { functionLogGroupName, functionNames, logGroupByName, referencing } from '../lib/links';
import { T } from '../lib/types';
import { relaxedBy, type Waiver } from '../lib/waiver';
import { runtimeProblem } from './lambda-runtimes';

const runtimeSupported = resourceRule({
  name: 'lambda-runtime-supported',
  summary: 'Lambda functions use a supported (not deprecated) managed runtime.',
  controls: { checkov: ['CKV_AWS_363'], fsbp: ['Lambda.2'], cdkNag: ['AwsSolutions-L1'] },
  severity: 'high',
  remediation:
    'Move the function to a runtime listed in policy/rules/lambda-runtimes.ts before its deprecation date (nodejs22.x or later).',
  types: [T.lambdaFunction],
  check: (props, report) => {
    if (str(props.packageType) === 'Image') return;
    const problem = runtimeProblem(str(props.runtime), new Date());
    if (problem) report(problem);
  },
});

const tracingActive = resourceRule({
  name: 'lambda-tracing-active',
  summary: 'Lambda functions have X-Ray active tracing.',
  controls: { checkov: ['CKV_AWS_50'], fsbp: ['Lambda.7'] },
  severity: 'medium',
  remediation: 'Set `tracingConfig: {mode: "Active"}`.',
  types: [T.lambdaFunction],
  check: (props, report) => {
    const mode = str(obj(props.tracingConfig)?.mode);
    if (mode !== 'Active') report(`X-Ray tracing mode is ${mode ?? 'unset'}, not Active`);
  },
});

const logGroupRetention = stackRule({
  name: 'lambda-log-group-retention',
  summary: 'Every Lambda function logs into a log group the stack creates, with a retention period.',
  controls: { checkov: ['CKV_AWS_66'], fsbp: ['CloudWatch.16'] },
  severity: 'medium',
  remediation:
    'Create a LogGroup with retentionInDays and attach it with `loggingConfig: {logGroup: <its name>}`; the group Lambda creates by itself never expires.',
  check: (resources, report) => {
    for (const fn of ofType(resources, T.lambdaFunction)) {
      const name = functionLogGroupName(fn);
      if (!name) {
        report(fn, 'neither loggingConfig.logGroup nor the function name is known, so its log group cannot be checked');
        continue;
      }
      const group = logGroupByName(resources, name);
      if (!group) report(fn, `logs go to ${name}, a log group the stack does not create (it would never expire)`);
      else if ((num(group.props.retentionInDays) ?? 0) <= 0) report(fn, `its log group ${name} has no retention`);
    }
  },
});

const EXECUTE_API_ARN = /^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:([^/*]+)\/.+$/;

const permissionScoped = resourceRule({
  name: 'lambda-permission-scoped',
  summary:
    "Lambda invoke permissions are never public, and those granted to AWS services are scoped by sourceArn (API Gateway: this API's execution ARN).",
  controls: { checkov: ['CKV_AWS_364', 'CKV_AWS_301'], fsbp: ['Lambda.1'] },
  severity: 'critical',
  remediation:
    "Set `sourceArn` to the caller's ARN; for API Gateway, the API's execution ARN followed by /<stage>/<method>/<path> (wildcards allowed after the API id).",
  types: [T.lambdaPermission],
  check: (props, report) => {
    const principal = str(props.principal) ?? '';
    const sourceArn = str(props.sourceArn);
    if (principal === '*' || principal === '')
      report(`principal ${JSON.stringify(principal)} lets anyone invoke the function`);
    if (str(props.functionUrlAuthType) === 'NONE')
      report('function URL without authentication (functionUrlAuthType NONE)');
    if (!principal.endsWith('.amazonaws.com')) return;
    if (!sourceArn || sourceArn === '*') {
      report(
        `permission for ${principal} is not scoped by sourceArn: any ${principal} resource, in any account, could invoke the function`,
      );
    } else if (principal === 'apigateway.amazonaws.com' && !EXECUTE_API_ARN.test(sourceArn)) {
      report(
        `sourceArn ${sourceArn} is not one API's execution ARN (arn:aws:execute-api:<region>:<account>:<api-id>/...)`,
      );
    }
  },
});

export const RESERVED_CONCURRENCY_RULE = 'lambda-reserved-concurrency';

function reservedConcurrency(waivers: readonly Waiver[]) {
  return resourceRule({
    name: RESERVED_CONCURRENCY_RULE,
    summary:
      'Lambda functions set a reserved concurrency limit, unless the waiver lambda-reserved-concurrency is in force.',
    controls: { checkov: ['CKV_AWS_115'] },
    severity: 'low',
    remediation:
      'Set `reservedConcurrentExecutions` (stack config tap:lambdaReservedConcurrency >= 0), or keep the documented waiver.',
    types: [T.lambdaFunction],
    check: (props, report) => {
      const reserved = num(props.reservedConcurrentExecutions);
      if (reserved !== undefined && reserved >= 0) return;
      if (relaxedBy(waivers, RESERVED_CONCURRENCY_RULE)) return; // reported by the advisory waiver policy
      report(
        "no reserved concurrency: one function can take the whole account's concurrency, and be starved by others",
      );
    },
  });
}

/** The properties by which a resource names the function it invokes or exposes. */
const FUNCTION_REFERENCES = ['functionName', 'functionArn', 'function'];

const deadLetterQueue = stackRule({
  name: 'lambda-dead-letter-queue',
  summary:
    'Lambda functions keep what they fail on: a dead-letter target for failed asynchronous invocations, or, for a function whose only triggers are event source mappings (nothing may invoke it asynchronously), an on-failure destination on every one of its mappings.',
  controls: { checkov: ['CKV_AWS_116'] },
  severity: 'low',
  remediation:
    'Set `deadLetterConfig: {targetArn: <SQS queue or SNS topic ARN>}`; for a stream consumer triggered only by its event source mappings, set `destinationConfig: {onFailure: {destinationArn: <queue or topic ARN>}}` on each mapping instead.',
  check: (resources, report) => {
    for (const fn of ofType(resources, T.lambdaFunction)) {
      if (str(obj(fn.props.deadLetterConfig)?.targetArn)) continue;
      if (!functionNames(fn).size) {
        report(fn, "no dead-letter target, and the function's name is unknown, so its triggers cannot be checked");
        continue;
      }
      const mappings = referencing(resources, T.eventSourceMapping, FUNCTION_REFERENCES, fn);
      // A permission lets a service (or account) invoke the function, possibly asynchronously; so does a function URL.
      const invokers = [
        ...referencing(resources, T.lambdaPermission, FUNCTION_REFERENCES, fn),
        ...referencing(resources, T.functionUrl, FUNCTION_REFERENCES, fn),
      ];
      if (!mappings.length) {
        report(fn, 'no dead-letter target');
      } else if (invokers.length) {
        report(
          fn,
          `no dead-letter target, and besides its event source mappings it can be invoked through ${invokers.map((r) => r.name).join(', ')}`,
        );
      } else {
        for (const mapping of mappings.filter(
          (m) => !str(obj(obj(m.props.destinationConfig)?.onFailure)?.destinationArn),
        )) {
          report(
            fn,
            `no dead-letter target, and its event source mapping ${mapping.name} has no on-failure destination: records it gives up on are lost`,
          );
        }
      }
    }
  },
});

const SECRET_NAME = /(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential)/i;
const SECRET_VALUE = [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];
/** A value that names where the secret lives instead of holding it. */
const REFERENCE = /^(\/|arn:|\{\{resolve:|$)/;

const noSecretsInEnvironment = resourceRule({
  name: 'lambda-no-secrets-in-environment',
  summary: 'Lambda environment variables hold no secrets (no credentials, keys or passwords in clear).',
  controls: { checkov: ['CKV_AWS_45'] },
  severity: 'high',
  remediation:
    'Store the secret as an SSM SecureString (or in Secrets Manager), put its name in the environment, and read it at run time.',
  types: [T.lambdaFunction],
  check: (props, report) => {
    const variables = obj(obj(props.environment)?.variables) ?? {};
    for (const [name, raw] of Object.entries(variables)) {
      const value = typeof raw === 'string' ? raw : JSON.stringify(raw ?? '');
      if (SECRET_VALUE.some((pattern) => pattern.test(value)))
        report(`environment variable ${name} holds a credential`);
      else if (SECRET_NAME.test(name) && !REFERENCE.test(value))
        report(`environment variable ${name} looks like a secret held in clear`);
    }
  },
});

export function lambdaRules(waivers: readonly Waiver[]) {
  return [
    runtimeSupported,
    tracingActive,
    logGroupRetention,
    permissionScoped,
    reservedConcurrency(waivers),
    deadLetterQueue,
    noSecretsInEnvironment,
  ];
}
