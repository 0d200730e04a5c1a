/**
 * TapStack: the whole tracking API for one environment suffix. Wires the parts (one file each) and
 * exposes flat string outputs; every resource is a child of this component.
 */
import * as pulumi from '@pulumi/pulumi';
import { getRegionOutput } from '@pulumi/aws/getRegion';
import { TRACKING_TABLE } from '../lambda/contract';
import { createApi } from './api';
import { createApiGatewayAccount } from './api-gateway-account';
import type { TapStackArgs } from './config';
import { createFunction, functionName } from './function';
import { createMonitoring } from './monitoring';
import { createParameters } from './parameters';
import { createStorage } from './storage';

/** The stack outputs: stable snake_case names that CI reads with `pulumi stack output --json`. */
export const OUTPUT_NAMES = [
  'api_endpoint',
  'api_id',
  'stage_name',
  'region',
  'table_name',
  'table_arn',
  'status_index_name',
  'lambda_function_name',
  'log_group_name',
  'dlq_url',
  'queue_arn',
  'config_parameter_name',
  'endpoint_parameter_name',
  'flags_parameter_name',
  'alarm_topic_arn',
  'dashboard_url',
] as const;

export type StackOutputs = Record<(typeof OUTPUT_NAMES)[number], pulumi.Output<string>>;

export class TapStack extends pulumi.ComponentResource {
  public readonly outputs: StackOutputs;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:stack:TapStack', name, {}, opts);

    const region = getRegionOutput({}, { parent: this }).region;
    const storage = createStorage(this, args);
    const parameters = createParameters(this, args, storage.table.name);
    const tracking = createFunction(this, args, { storage, parameters });
    const account = args.manageApiGatewayAccount ? createApiGatewayAccount(this, args).account : undefined;
    const api = createApi(this, args, { fn: tracking.fn, functionName: functionName(args), account });
    const monitoring = createMonitoring(this, args, {
      region,
      apiName: api.restApi.name,
      stageName: api.stage.stageName,
      functionName: tracking.fn.name,
      tableName: storage.table.name,
      queueName: storage.queue.name,
    });

    this.outputs = {
      api_endpoint: pulumi.interpolate`https://${api.restApi.id}.execute-api.${region}.amazonaws.com/${api.stage.stageName}`,
      api_id: api.restApi.id,
      stage_name: api.stage.stageName,
      region,
      table_name: storage.table.name,
      table_arn: storage.table.arn,
      status_index_name: pulumi.output(TRACKING_TABLE.statusIndex.name),
      lambda_function_name: tracking.fn.name,
      log_group_name: tracking.logGroup.name,
      dlq_url: storage.queue.url,
      queue_arn: storage.queue.arn,
      config_parameter_name: parameters.config.name,
      endpoint_parameter_name: parameters.endpoint.name,
      flags_parameter_name: parameters.flags.name,
      alarm_topic_arn: monitoring.topic.arn,
      dashboard_url: pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${monitoring.dashboard.dashboardName}`,
    };
    this.registerOutputs(this.outputs);
  }
}
