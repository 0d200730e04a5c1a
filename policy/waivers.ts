/**
 * THE waiver list: controls of Checkov / Security Hub FSBP / cdk-nag this architecture does not
 * meet on purpose, each with its reason. Each one runs as the advisory policy `waiver-<id>` and
 * names every resource concerned on every preview (see lib/waiver.ts). Keep reasons true: when the
 * architecture changes (a VPC, anonymous callers, a cache), the reason must be revisited.
 */
import type { PolicyResource } from '@pulumi/policy';
import { isUnscopedResource, parseDocument } from './lib/iam-doc';
import { list, num, obj, ofType, str } from './lib/kit';
import type { Waiver, WaiverFinding } from './lib/waiver';
import { T } from './lib/types';
import { DELETION_PROTECTION_RULE } from './rules/dynamodb';
import { identityDocuments, RESOURCE_STAR_ACTIONS } from './rules/iam';
import { RESERVED_CONCURRENCY_RULE } from './rules/lambda';
import { SENSITIVE_NAME } from './rules/ssm';

const APIGATEWAY_LOGS_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/** One finding per resource of `type` for which `unmet` returns a detail. */
function each(type: string, unmet: (props: Record<string, unknown>, r: PolicyResource) => string | undefined) {
  return (resources: PolicyResource[]): WaiverFinding[] =>
    ofType(resources, type).flatMap((resource) => {
      const detail = unmet(resource.props, resource);
      return detail ? [{ resource, detail }] : [];
    });
}

function hasWafAssociation(stage: PolicyResource, resources: PolicyResource[]): boolean {
  const api = str(stage.props.restApi);
  const suffix = `/stages/${str(stage.props.stageName) ?? ''}`;
  return ofType(resources, T.wafAssociation).some((a) => {
    const arn = str(a.props.resourceArn) ?? '';
    return arn.endsWith(suffix) && (api === undefined || arn.includes(`/restapis/${api}/`));
  });
}

export const WAIVERS: readonly Waiver[] = [
  {
    id: 'lambda-vpc',
    title: 'Lambda functions not attached to a VPC',
    controls: { checkov: ['CKV_AWS_117'], fsbp: ['Lambda.3'] },
    reason:
      'The functions talk only to AWS service APIs (DynamoDB, SSM, SQS, EventBridge, X-Ray, CloudWatch Logs) over TLS with SigV4, and the Lambda service itself polls the table stream for the consumer; they reach no private network resource. ' +
      'A VPC would add NAT gateways or five interface endpoints, ENI management and cold-start cost, and move no traffic off the AWS network; the IAM role remains the access boundary. ' +
      'Revisit if a function ever needs a private resource (a database, an internal service).',
    findings: each(T.lambdaFunction, (p) =>
      list(obj(p.vpcConfig)?.subnetIds).length ? undefined : 'the function runs outside any VPC',
    ),
  },
  {
    id: 'lambda-reserved-concurrency',
    title: 'Lambda function without reserved concurrency',
    controls: { checkov: ['CKV_AWS_115'] },
    relaxes: RESERVED_CONCURRENCY_RULE,
    reason:
      'Configurable per stack (tap:lambdaReservedConcurrency, -1 = none). The default reserves nothing because Lambda refuses reservations that leave the account less than 100 unreserved executions, ' +
      'and new accounts start with a concurrency quota too small for any reservation; the API stage throttling bounds the inbound rate instead. ' +
      "The stream consumer reserves none either (lib/functions.ts): Lambda runs at most one batch per stream shard at a time for it, so it cannot take the account's pool; " +
      'what a reservation would add is protection from being starved by other functions, which shows as its IteratorAge alarm, and records retried past their maximum age land on the failure queue (alarmed). ' +
      'Production stacks should set a reservation and raise this waiver to mandatory in their policy config.',
    findings: each(T.lambdaFunction, (p) => {
      const reserved = num(p.reservedConcurrentExecutions);
      return reserved !== undefined && reserved >= 0 ? undefined : 'no reserved concurrency';
    }),
  },
  {
    id: 'lambda-code-signing',
    title: 'Lambda function without a code-signing configuration',
    controls: { checkov: ['CKV_AWS_272'] },
    reason:
      'Each bundle is built deterministically from the reviewed repository by the deploying pipeline and uploaded by Pulumi in the same step; there is no separate artifact hand-off for a signature to protect. ' +
      'Adopt AWS Signer if artifacts are ever built in one place and deployed from another.',
    findings: each(T.lambdaFunction, (p) =>
      str(p.codeSigningConfigArn) ? undefined : 'no code-signing configuration',
    ),
  },
  {
    id: 'lambda-environment-cmk',
    title: 'Lambda environment variables encrypted with the AWS managed key, not a customer managed key',
    controls: { checkov: ['CKV_AWS_173'] },
    reason:
      'The environments hold names and settings only (table, parameter names, queue URL, event bus name, shard count, Powertools service and log level); no secret is ever placed there (rule lambda-no-secrets-in-environment). ' +
      'Lambda encrypts it at rest with the aws/lambda key; a customer managed key would protect nothing more.',
    findings: each(T.lambdaFunction, (p) =>
      Object.keys(obj(obj(p.environment)?.variables) ?? {}).length && !str(p.kmsKeyArn)
        ? 'environment encrypted with the AWS managed key'
        : undefined,
    ),
  },
  {
    id: 'api-waf',
    title: 'REST API stage not associated with an AWS WAF web ACL',
    controls: { checkov: ['CKV2_AWS_29'], fsbp: ['APIGateway.4'], cdkNag: ['AwsSolutions-APIG3'] },
    reason:
      'Every method requires SigV4 (AWS_IAM): API Gateway rejects unsigned or wrongly signed requests before any integration runs, and the request validator rejects malformed bodies. ' +
      'WAF managed rule groups target anonymous web traffic (SQLi/XSS/bad bots) that cannot reach this backend, at a fixed monthly cost per web ACL. ' +
      'Associate a WAFv2 web ACL (rate-based rules) if the API is ever opened to anonymous callers or needs per-IP limits.',
    findings: (resources) =>
      ofType(resources, T.stage)
        .filter((stage) => !hasWafAssociation(stage, resources))
        .map((resource) => ({ resource, detail: 'no WAFv2 web ACL association' })),
  },
  {
    id: 'api-cache',
    title: 'REST API stage without a response cache',
    controls: { checkov: ['CKV_AWS_120', 'CKV_AWS_225'] },
    reason:
      'GET /status must show an update as soon as it is accepted (read-your-writes), responses are per shipment and per page cursor, and callers are individually authorized; a cache would serve stale histories or need per-caller keys. ' +
      'The cache cluster is billed per hour whether used or not. If caching is ever enabled, rule apigateway-cache-encrypted (APIGateway.5, CKV_AWS_308) applies.',
    findings: each(T.stage, (p) => (p.cacheClusterEnabled === true ? undefined : 'no response cache')),
  },
  {
    id: 'api-client-certificate',
    title: 'REST API stage without a client certificate for backend authentication',
    controls: { checkov: ['CKV2_AWS_51'], fsbp: ['APIGateway.2'] },
    reason:
      'A client certificate authenticates API Gateway to an HTTP backend. The only integration is AWS_PROXY to Lambda, which API Gateway invokes through the Lambda API with SigV4, ' +
      "authorized by the function's resource policy scoped to this API's execution ARN (rule lambda-permission-scoped); there is no HTTP backend to present a certificate to.",
    findings: each(T.stage, (p) => (str(p.clientCertificateId) ? undefined : 'no client certificate')),
  },
  {
    id: 'api-cognito-authorizer',
    title: 'API methods authorized by IAM (SigV4) rather than a Cognito user pool',
    controls: { cdkNag: ['AwsSolutions-COG4'] },
    reason:
      "Callers are carriers', depots' and scanners' AWS principals, not end users with passwords: AWS_IAM authorization verifies their SigV4 signature and evaluates their IAM policies. " +
      'A user pool would add a second identity system for no caller.',
    findings: each(T.method, (p) =>
      str(p.authorization) === 'COGNITO_USER_POOLS' ? undefined : `authorization ${str(p.authorization) ?? 'unset'}`,
    ),
  },
  {
    id: 'dynamodb-cmk',
    title: 'DynamoDB table encrypted with the AWS managed key (aws/dynamodb), not a customer managed key',
    controls: { checkov: ['CKV_AWS_119'] },
    reason:
      'KMS encryption with aws/dynamodb is on (rule dynamodb-sse-kms) and its use is logged in CloudTrail. A customer managed key adds a key policy to run and per-request KMS cost; ' +
      'it is worth it only for cross-account access to the data, crypto-shredding, or a rotation/ownership requirement, none of which applies today.',
    findings: each(T.table, (p) =>
      str(obj(p.serverSideEncryption)?.kmsKeyArn) ? undefined : 'encrypted with the AWS managed key',
    ),
  },
  {
    id: 'dynamodb-deletion-protection',
    title: 'DynamoDB table without deletion protection',
    controls: { fsbp: ['DynamoDB.6'] },
    relaxes: DELETION_PROTECTION_RULE,
    reason:
      'Configurable per stack (tap:tableDeletionProtection, default true). Ephemeral dev and pull-request stacks turn it off so `pulumi destroy` can remove them; PITR still protects their data for 35 days. ' +
      'Production stacks keep the default; raise this waiver to mandatory in their policy config to enforce it.',
    findings: each(T.table, (p) => (p.deletionProtectionEnabled === true ? undefined : 'deletion protection is off')),
  },
  {
    id: 'dynamodb-backup-plan',
    title: 'DynamoDB table not covered by an AWS Backup plan',
    controls: { fsbp: ['DynamoDB.4'] },
    reason:
      "Point-in-time recovery (rule dynamodb-pitr) restores any second of the last 35 days. Longer retention and cross-account copies belong to the account's central AWS Backup plan (tag-based selection), not to one application stack.",
    findings: (resources) =>
      resources.some((r) => r.type === 'aws:backup/selection:Selection')
        ? []
        : ofType(resources, T.table).map((resource) => ({ resource, detail: 'no AWS Backup selection in the stack' })),
  },
  {
    id: 'sqs-cmk',
    title: 'SQS queue encrypted with SSE-SQS, not a customer managed KMS key',
    controls: { checkov: ['CKV2_AWS_73'] },
    reason:
      "SSE-SQS encrypts at rest (rule sqs-encryption) with no key policy to maintain and no KMS request cost; the queues are reachable only by this stack's function roles (each may only send to its own queue, Lambda delivering failures with the same role), by EventBridge for the webhook's dead letters (its queue policy admits events.amazonaws.com for the webhook rule only), and by operators' tooling (queue policies and IAM). " +
      'Use a customer managed key if another account or service must read the messages.',
    findings: each(T.queue, (p) => (str(p.kmsMasterKeyId) ? undefined : 'SSE-SQS (SQS-owned key)')),
  },
  {
    id: 'sqs-dead-letter-queue',
    title: 'SQS queues without their own dead-letter queue',
    controls: { cdkNag: ['AwsSolutions-SQS3'] },
    reason:
      'The queues ARE terminal dead-letter queues. The parked-updates queue holds the writes DynamoDB refused, replayed idempotently by the replay script; ' +
      "the API function's own dead-letter queue holds its failed asynchronous invocations (API Gateway invokes synchronously, so anything there is unexpected and alarms); " +
      "the stream failure queue holds the consumer mapping's record of each batch it gave up on (stream, shard and sequence numbers), for an operator to re-read from the stream or re-project from the table's history items; " +
      'the webhook failure queue (with a webhook only) holds the status-change events EventBridge could not deliver, for an operator to inspect and redrive. ' +
      'Nothing consumes any of them automatically, so there is no poison-message loop for another queue to catch.',
    findings: each(T.queue, (p) => (p.redrivePolicy ? undefined : 'no redrive policy')),
  },
  {
    id: 'ssm-plain-config',
    title: 'Non-sensitive SSM parameters stored as String',
    controls: { checkov: ['CKV2_AWS_34'] },
    reason:
      'The API config (max_request_size, timeout, rate_limit) and feature flags are non-secret tuning values operators must be able to read and diff. ' +
      'Parameters whose names mark them sensitive (endpoint, secret, password, key) must be SecureString (rule ssm-sensitive-securestring).',
    findings: each(T.parameter, (p) =>
      str(p.type) !== 'SecureString' && !SENSITIVE_NAME.test(str(p.name) ?? '')
        ? `${str(p.name) ?? 'parameter'} is ${str(p.type) ?? 'String'}`
        : undefined,
    ),
  },
  {
    id: 'ssm-cmk',
    title: 'SecureString parameters encrypted with the AWS managed key (aws/ssm)',
    controls: { checkov: ['CKV_AWS_337'] },
    reason:
      'The only SecureString holds the table name: it is kept encrypted by policy, not because it is a credential. aws/ssm needs no key policy and lets the function decrypt through its ssm:GetParameter grant. ' +
      'Use a customer managed key for a real secret that must be shared across accounts.',
    findings: each(T.parameter, (p) =>
      str(p.type) === 'SecureString' && (!str(p.keyId) || str(p.keyId) === 'alias/aws/ssm')
        ? 'encrypted with aws/ssm'
        : undefined,
    ),
  },
  {
    id: 'logs-kms',
    title: 'CloudWatch log groups encrypted by CloudWatch Logs, not with a KMS key',
    controls: { checkov: ['CKV_AWS_158'] },
    reason:
      'CloudWatch Logs always encrypts log data at rest. A KMS key would add a key policy granting the logs service principal, for logs that hold no body (data trace is off) and expire after tap:logRetentionDays.',
    findings: each(T.logGroup, (p) => (str(p.kmsKeyId) ? undefined : 'no KMS key')),
  },
  {
    id: 'logs-one-year',
    title: 'Log groups retained for less than one year',
    controls: { checkov: ['CKV_AWS_338'] },
    reason:
      "Data minimisation: access and function logs carry caller ARNs and tracking ids (personal data when a shipment is a person's). They are kept for tap:logRetentionDays (default 14) for operations; " +
      'the table is the record. Set a longer retention per stack if an audit regime requires it (CloudWatch.16 is then met with its default 365 days).',
    findings: each(T.logGroup, (p) => {
      const days = num(p.retentionInDays) ?? 0;
      return days > 0 && days < 365 ? `retention ${days} days` : undefined;
    }),
  },
  {
    id: 'sns-encryption',
    title: 'Alarm topic not encrypted with KMS',
    controls: { checkov: ['CKV_AWS_26'], fsbp: ['SNS.1'], cdkNag: ['AwsSolutions-SNS2'] },
    reason:
      'The topic carries CloudWatch alarm notifications (alarm name, metric, threshold, state): no tracking data or personal data. CloudWatch can publish to an encrypted topic only with a customer managed key ' +
      'whose policy grants cloudwatch.amazonaws.com (the aws/sns key cannot be used), which is key management for no protected data.',
    findings: each(T.topic, (p) => (str(p.kmsMasterKeyId) ? undefined : 'no KMS encryption')),
  },
  {
    id: 'sns-tls-only',
    title: 'Alarm topic without a policy denying non-TLS publishing',
    controls: { cdkNag: ['AwsSolutions-SNS3'] },
    reason:
      "Only CloudWatch (a service principal, over TLS) publishes to the topic; its default policy admits this account's principals only. Subscribers are e-mail endpoints configured by operators.",
    findings: (resources) => {
      const denied = ofType(resources, 'aws:sns/topicPolicy:TopicPolicy').some((p) =>
        JSON.stringify(p.props.policy ?? '').includes('aws:SecureTransport'),
      );
      return denied
        ? []
        : ofType(resources, T.topic).map((resource) => ({ resource, detail: 'no TLS-only topic policy' }));
    },
  },
  {
    id: 'eventbridge-cmk',
    title: 'EventBridge bus and connection encrypted with keys AWS owns or manages, not a customer managed key',
    controls: { other: ['AWS Well-Architected SEC08-BP01 (implement secure key management)'] },
    reason:
      "EventBridge encrypts what the bus stores (events, rule patterns, target settings) with an AWS owned key when no kmsKeyIdentifier is set, and keeps the webhook connection's API key in a Secrets Manager secret it manages for the connection. " +
      'The events carry tracking ids, statuses and locations the table already holds, readable only by principals of this account; no other account reads the bus. ' +
      'A customer managed key would add a key policy granting EventBridge, disable schema discovery, and protect nothing more today; use one (kmsKeyIdentifier on the bus and the connection) for crypto-shredding, key ownership or cross-account access requirements.',
    findings: (resources) =>
      [T.eventBus, T.eventConnection].flatMap((type) =>
        each(type, (p) =>
          str(p.kmsKeyIdentifier) ? undefined : 'encrypted with a key AWS owns or manages (no kmsKeyIdentifier)',
        )(resources),
      ),
  },
  {
    id: 'eventbridge-bus-policy',
    title: 'Custom event bus without a resource-based policy',
    controls: { fsbp: ['EventBridge.3'] },
    reason:
      "Without a resource policy a custom bus admits only this account's principals, as their IAM policies allow: the stack grants events:PutEvents on this bus to the projection consumer's role alone, and its rules are the stack's own. " +
      'A resource policy is how other accounts are admitted or refused; no other account puts or receives these events. Attach an EventBusPolicy naming them when one must.',
    findings: (resources) =>
      ofType(resources, T.eventBus).flatMap((bus) => {
        const name = str(bus.props.name);
        const attached = ofType(resources, T.eventBusPolicy).some(
          (p) => name !== undefined && str(p.props.eventBusName) === name,
        );
        return attached ? [] : [{ resource: bus, detail: 'no resource-based policy (EventBusPolicy)' }];
      }),
  },
  {
    id: 'iam-xray-resource-star',
    title: 'X-Ray actions allowed on Resource "*"',
    controls: { cdkNag: ['AwsSolutions-IAM5'] },
    reason:
      'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions: "*" is the only resource AWS accepts for them. Every other statement names its ARNs (rule iam-no-wildcard-resource).',
    findings: (resources) =>
      resources.flatMap((resource) =>
        identityDocuments(resource.type, resource.props).flatMap(({ where, document }) => {
          const parsed = parseDocument(document);
          if (!('statements' in parsed)) return [];
          const xray = new Set(RESOURCE_STAR_ACTIONS.map((a) => a.toLowerCase()));
          return parsed.statements.some(
            (s) =>
              s.effect === 'Allow' &&
              (s.resources ?? []).some(isUnscopedResource) &&
              (s.actions ?? []).some((a) => xray.has(a.toLowerCase())),
          )
            ? [{ resource, detail: `${where} allows X-Ray actions on "*"` }]
            : [];
        }),
      ),
  },
  {
    id: 'iam-apigateway-logs-managed-policy',
    title: 'AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs on the API Gateway account logging role',
    controls: { cdkNag: ['AwsSolutions-IAM4'] },
    allowsPolicyArns: [APIGATEWAY_LOGS_POLICY],
    reason:
      'API Gateway writes execution and access logs through one account-level role (created when tap:manageApiGatewayAccount is true). AWS documents this managed policy for it, keeps it current with the service, ' +
      'and it grants CloudWatch Logs actions only. The function role uses inline policies only (rule iam-no-admin-policies).',
    findings: (resources) =>
      resources.flatMap((resource) => {
        const arns = resource.type === T.role ? list(resource.props.managedPolicyArns) : [resource.props.policyArn];
        return arns.includes(APIGATEWAY_LOGS_POLICY)
          ? [{ resource, detail: 'uses AmazonAPIGatewayPushToCloudWatchLogs' }]
          : [];
      }),
  },
];
