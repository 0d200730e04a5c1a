/**
 * The optional webhook: status-change events from the stack's bus, POSTed to an HTTPS endpoint
 * through an EventBridge API destination, when tap:webhookUrl is set (nothing of this exists
 * otherwise). The receiver gets each event's `detail` as the body (STATUS_EVENT_DETAIL_SCHEMA) and
 * authenticates the call by an API key header holding the tap:webhookSecret.
 *
 * Deliveries are retried for up to 24 hours (EventBridge's maximum: 185 attempts, 86400 s); what is
 * still undelivered then, or refused with a non-retryable status, goes to the webhook's dead-letter
 * queue (encrypted, TLS-only, writable only by EventBridge on behalf of this rule).
 */
import * as pulumi from '@pulumi/pulumi';
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as iam from '@pulumi/aws/iam';
import type * as sqs from '@pulumi/aws/sqs';
import { STATUS_EVENT } from '../lambda/contract';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';
import { secureQueue } from './storage';

/** The EventBridge service principal: it assumes the target's role and delivers dead letters. */
const EVENTS_SERVICE = 'events.amazonaws.com';

/** The rule's pattern: exactly the contract's status-change events. */
const STATUS_EVENT_PATTERN = {
  source: [STATUS_EVENT.source],
  'detail-type': [STATUS_EVENT.detailType],
};

/** EventBridge's maximum retry policy: 185 attempts over 24 hours (RetryPolicy's valid ranges). */
const WEBHOOK_RETRY_POLICY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 60 * 60 };

/**
 * At most this many calls a second to the receiver. A burst beyond it waits in EventBridge's retry
 * window (24 h) rather than overwhelming the endpoint; status changes are far below it in normal use.
 */
const WEBHOOK_RATE_LIMIT_PER_SECOND = 20;

/** The target's id on the rule (EventBridge would generate one otherwise). */
const WEBHOOK_TARGET_ID = 'webhook';

/** The JSONPath of what is POSTed: the event's detail, not the EventBridge envelope. */
const WEBHOOK_INPUT_PATH = '$.detail';

const WEBHOOK_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: EVENTS_SERVICE }, Action: 'sts:AssumeRole' }],
};

/** The target role's one permission: invoking this API destination (by its full ARN), nothing else. */
function webhookPolicyDocument(destinationArn: pulumi.Input<string>) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InvokeWebhookDestination',
        Effect: 'Allow',
        Action: 'events:InvokeApiDestination',
        Resource: destinationArn,
      },
    ],
  };
}

export interface WebhookDeps {
  /** The stack's bus (lib/events.ts): the rule listens on it. */
  eventBusName: pulumi.Input<string>;
  /** The API key the receiver checks: a Pulumi secret (tap:webhookSecret), kept secret in the state. */
  secret: pulumi.Input<string>;
}

export interface Webhook {
  connection: cloudwatch.EventConnection;
  destination: cloudwatch.EventApiDestination;
  rule: cloudwatch.EventRule;
  target: cloudwatch.EventTarget;
  /** Assumed by EventBridge to invoke the destination. */
  role: iam.Role;
  rolePolicy: iam.RolePolicy;
  /** Where EventBridge puts the deliveries it gave up on. */
  deadLetterQueue: sqs.Queue;
  deadLetterQueuePolicy: sqs.QueuePolicy;
}

export function createWebhook(
  scope: Scope,
  args: TapStackArgs,
  webhook: NonNullable<TapStackArgs['webhook']>,
  deps: WebhookDeps,
): Webhook {
  const parent = scope.parent;
  const names = resourceNames(args.environmentSuffix).webhook;

  // EventBridge stores the key in a Secrets Manager secret it manages for the connection.
  const connection = new cloudwatch.EventConnection(
    scope.name('webhook-connection'),
    {
      name: names.connection,
      description: `API key for the status-change webhook, sent in the ${webhook.authHeaderName} header`,
      authorizationType: 'API_KEY',
      authParameters: { apiKey: { key: webhook.authHeaderName, value: pulumi.secret(deps.secret) } },
    },
    { parent },
  );

  const destination = new cloudwatch.EventApiDestination(
    scope.name('webhook-destination'),
    {
      name: names.destination,
      description: 'The status-change webhook: POST of each status-change event detail',
      invocationEndpoint: webhook.url,
      httpMethod: 'POST',
      connectionArn: connection.arn,
      invocationRateLimitPerSecond: WEBHOOK_RATE_LIMIT_PER_SECOND,
    },
    { parent },
  );

  const rule = new cloudwatch.EventRule(
    scope.name('webhook-rule'),
    {
      name: names.rule,
      description: 'Status-change events of the tracking projection, to the webhook',
      eventBusName: deps.eventBusName,
      eventPattern: JSON.stringify(STATUS_EVENT_PATTERN),
    },
    { parent },
  );

  const deadLetters = secureQueue(scope, 'webhook-dead-letter-queue', names.deadLetterQueue, [
    { sid: 'EventBridgeDeadLetters', service: EVENTS_SERVICE, action: 'sqs:SendMessage', sourceArn: rule.arn },
  ]);

  const role = new iam.Role(
    scope.name('webhook-role'),
    {
      name: names.role,
      description: 'Assumed by EventBridge to deliver status-change events to the webhook API destination',
      assumeRolePolicy: JSON.stringify(WEBHOOK_TRUST_POLICY),
    },
    { parent },
  );
  const rolePolicy = new iam.RolePolicy(
    scope.name('webhook-role-policy'),
    {
      // An inline policy's name is scoped to its role: it shares the role's (suffixed) name.
      name: names.role,
      role: role.name,
      policy: pulumi.jsonStringify(webhookPolicyDocument(destination.arn)),
    },
    { parent },
  );

  const target = new cloudwatch.EventTarget(
    scope.name('webhook-target'),
    {
      rule: rule.name,
      eventBusName: deps.eventBusName,
      targetId: WEBHOOK_TARGET_ID,
      arn: destination.arn,
      roleArn: role.arn,
      inputPath: WEBHOOK_INPUT_PATH,
      retryPolicy: WEBHOOK_RETRY_POLICY,
      deadLetterConfig: { arn: deadLetters.queue.arn },
    },
    // Deliveries start once the role may invoke and the queue accepts dead letters.
    { parent, dependsOn: [rolePolicy, deadLetters.policy] },
  );

  return {
    connection,
    destination,
    rule,
    target,
    role,
    rolePolicy,
    deadLetterQueue: deadLetters.queue,
    deadLetterQueuePolicy: deadLetters.policy,
  };
}
