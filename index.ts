/**
 * The Pulumi program: stack config -> TapStack -> flat snake_case stack outputs, the stable names CI
 * reads with `pulumi stack output --json`.
 *
 * Exported as a function, which Pulumi runs: each call is a complete, fresh run of the program, so
 * the offline synth (scripts/synth.ts) can run it for several stacks in one process.
 */
import * as pulumi from '@pulumi/pulumi';
import { TRACKING_TABLE } from './lambda/contract';
import { resolveStackArgs } from './lib/config';
import { TapStack } from './lib/tap-stack';

function program() {
  const config = new pulumi.Config('tap');
  // ENVIRONMENT_SUFFIX wins over tap:environmentSuffix; bad values throw a ConfigError naming the key.
  const args = resolveStackArgs((key) => config.get(key));
  // The webhook's API key is read as a Pulumi secret (`pulumi config set --secret tap:webhookSecret`),
  // only when a webhook URL is configured, and never enters the plain settings.
  const webhookSecret = args.webhook ? config.requireSecret('webhookSecret') : undefined;
  const stack = new TapStack('tap', { ...args, webhookSecret });
  const { storage, parameters, functions, eventBus, api, monitoring } = stack;
  return {
    api_endpoint: stack.apiEndpoint,
    api_id: api.restApi.id,
    stage_name: api.stage.stageName,
    region: stack.region,
    table_name: storage.table.name,
    table_arn: storage.table.arn,
    status_index_name: pulumi.output(TRACKING_TABLE.statusIndex.name),
    idempotency_table_name: storage.idempotencyTable.name,
    lambda_function_name: functions.api.fn.name,
    log_group_name: functions.api.logGroup.name,
    consumer_function_name: functions.consumer.fn.name,
    // The parking queue (parked updates, drained by `npm run replay`).
    parked_queue_url: storage.queue.url,
    // DEPRECATED alias of parked_queue_url (the same parking queue, NOT the function's DLQ), kept for
    // one release so runbooks and CI that read `dlq_url` for `npm run replay` keep working; read
    // parked_queue_url (replay) or function_dlq_url (the function's DLQ) instead.
    dlq_url: storage.queue.url,
    queue_arn: storage.queue.arn,
    // The API function's own dead-letter queue (failed asynchronous invocations).
    function_dlq_url: storage.functionDeadLetterQueue.url,
    stream_failure_queue_url: storage.streamFailureQueue.url,
    config_parameter_name: parameters.config.name,
    endpoint_parameter_name: parameters.endpoint.name,
    flags_parameter_name: parameters.flags.name,
    event_bus_name: eventBus.name,
    event_bus_arn: eventBus.arn,
    alarm_topic_arn: monitoring.topic.arn,
    dashboard_url: stack.dashboardUrl,
  };
}

export = program;
