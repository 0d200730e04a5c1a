/**
 * TapStack: the whole tracking API for one environment suffix, with the stream consumer that
 * projects each shipment's current state and puts status-change events on the stack's bus, and the
 * optional webhook those events are delivered to. Wires the parts (one file each) as its children, named
 * after it, tagged in one place (lib/tags.ts), and exposes them as typed fields; index.ts turns
 * those into the flat stack outputs.
 */
import * as pulumi from '@pulumi/pulumi';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import type * as cloudwatch from '@pulumi/aws/cloudwatch';
import type * as lambda from '@pulumi/aws/lambda';
import { createApi, type Api } from './api';
import { createApiGatewayAccount, type ApiGatewayAccount } from './api-gateway-account';
import { stackTags, type TapStackArgs } from './config';
import { createEventBus } from './events';
import { createFunction, type DeployedFunction } from './function';
import { consumerPolicyDocument, functionPolicyDocument } from './function-policy';
import { functionDefinitions } from './functions';
import type { FunctionKey } from './names';
import { createMonitoring, type Monitoring } from './monitoring';
import { createParameters, type Parameters } from './parameters';
import { scopeOf } from './scope';
import { createStorage, type Storage } from './storage';
import { createStreamMapping } from './stream';
import { tagTransformation } from './tags';
import { createWebhook, type Webhook } from './webhook';

/**
 * What the stack takes besides its plain, validated settings (lib/config.ts): secrets, which the
 * program reads from Pulumi config as secrets (index.ts) and the stack keeps secret.
 */
export interface TapStackSecrets {
  /** The webhook's API key (tap:webhookSecret); required when args.webhook is set. */
  webhookSecret?: pulumi.Input<string>;
}

function webhookSecret(secrets: TapStackSecrets): pulumi.Input<string> {
  if (secrets.webhookSecret === undefined) {
    throw new Error('tap:webhookUrl is set, so the webhook needs its API key: tap:webhookSecret (a Pulumi secret)');
  }
  return secrets.webhookSecret;
}

export class TapStack extends pulumi.ComponentResource {
  readonly region: pulumi.Output<string>;
  readonly storage: Storage;
  readonly parameters: Parameters;
  /** The API function, and the stream consumer projecting each shipment's current state. */
  readonly functions: Record<FunctionKey, DeployedFunction>;
  /** The consumer's trigger: the table's stream, failures to storage.streamFailureQueue. */
  readonly streamMapping: lambda.EventSourceMapping;
  /** Where the consumer puts status-change events (while real_time_notifications is on). */
  readonly eventBus: cloudwatch.EventBus;
  /** Only when a webhook URL is configured (tap:webhookUrl). */
  readonly webhook?: Webhook;
  /** Only when manageApiGatewayAccount is on (one per account and region). */
  readonly apiGatewayAccount?: ApiGatewayAccount;
  readonly api: Api;
  readonly monitoring: Monitoring;

  constructor(name: string, args: TapStackArgs & TapStackSecrets, opts: pulumi.ComponentResourceOptions = {}) {
    super(
      'tap:stack:TapStack',
      name,
      {},
      { ...opts, transformations: [...(opts.transformations ?? []), tagTransformation(stackTags(args))] },
    );
    const scope = scopeOf(this, name);

    this.region = getRegionOutput({}, { parent: this }).region;
    this.storage = createStorage(scope, args);
    this.parameters = createParameters(scope, args, this.storage.table.name);
    const { config, flags } = this.parameters;
    this.eventBus = createEventBus(scope, args);
    const definitions = functionDefinitions<pulumi.Input<string>>(args, {
      tableName: this.storage.table.name,
      idempotencyTableName: this.storage.idempotencyTable.name,
      queueUrl: this.storage.queue.url,
      configParameter: config.name,
      flagsParameter: flags.name,
      eventBusName: this.eventBus.name,
    });
    this.functions = {
      api: createFunction(scope, args, definitions.api, {
        policy: (logGroupArn) =>
          functionPolicyDocument({
            tableArn: this.storage.table.arn,
            idempotencyTableArn: this.storage.idempotencyTable.arn,
            // What settings.ts reads. The endpoint parameter (the table name, for other consumers
            // of this stack, e.g. operators' tooling) is published, not read by the function: no grant.
            parameterArns: [config.arn, flags.arn],
            queueArn: this.storage.queue.arn,
            deadLetterQueueArn: this.storage.functionDeadLetterQueue.arn,
            logGroupArn,
          }),
        // Only catches failed ASYNCHRONOUS invocations (API Gateway invokes synchronously: anything
        // there is unexpected). Its own queue: Lambda's messages are no parked updates, and the
        // parking queue holds parked updates only (npm run replay drains it).
        deadLetterArn: this.storage.functionDeadLetterQueue.arn,
      }),
      // No DLQ: nothing invokes it asynchronously. Its only trigger is the mapping below, whose
      // on-failure destination is the failure queue.
      consumer: createFunction(scope, args, definitions.consumer, {
        policy: (logGroupArn) =>
          consumerPolicyDocument({
            tableArn: this.storage.table.arn,
            streamArn: this.storage.table.streamArn,
            failureQueueArn: this.storage.streamFailureQueue.arn,
            eventBusArn: this.eventBus.arn,
            flagsParameterArn: flags.arn,
            logGroupArn,
          }),
      }),
    };
    this.streamMapping = createStreamMapping(scope, args, {
      streamArn: this.storage.table.streamArn,
      functionName: this.functions.consumer.fn.name,
      failureQueueArn: this.storage.streamFailureQueue.arn,
      policy: this.functions.consumer.policy,
    });
    this.webhook = args.webhook
      ? createWebhook(scope, args, args.webhook, { eventBusName: this.eventBus.name, secret: webhookSecret(args) })
      : undefined;
    this.apiGatewayAccount = args.manageApiGatewayAccount ? createApiGatewayAccount(scope, args) : undefined;
    this.api = createApi(scope, args, {
      fn: this.functions.api.fn,
      functionName: definitions.api.name,
      account: this.apiGatewayAccount?.account,
    });
    this.monitoring = createMonitoring(scope, args, {
      region: this.region,
      apiName: this.api.restApi.name,
      stageName: this.api.stage.stageName,
      functionName: this.functions.api.fn.name,
      tableName: this.storage.table.name,
      queueName: this.storage.queue.name,
      functionDeadLetterQueueName: this.storage.functionDeadLetterQueue.name,
      consumerFunctionName: this.functions.consumer.fn.name,
      streamFailureQueueName: this.storage.streamFailureQueue.name,
      eventBusName: this.eventBus.name,
      webhook: this.webhook && {
        ruleName: this.webhook.rule.name,
        deadLetterQueueName: this.webhook.deadLetterQueue.name,
      },
    });
    this.registerOutputs({});
  }

  /** `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`: the stage's invoke URL. */
  get apiEndpoint(): pulumi.Output<string> {
    return pulumi.interpolate`https://${this.api.restApi.id}.execute-api.${this.region}.amazonaws.com/${this.api.stage.stageName}`;
  }

  get dashboardUrl(): pulumi.Output<string> {
    return pulumi.interpolate`https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.monitoring.dashboard.dashboardName}`;
  }
}
