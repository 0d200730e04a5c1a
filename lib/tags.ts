/**
 * Tags, applied in one place: TapStack's transformation gives every taggable child the stack tags
 * (the user's, then Project/Environment/ManagedBy, which cannot be overridden). Whether a resource
 * type takes tags (and a name) is checked by tsc against the provider's own argument types (`takes`
 * below), so this table cannot drift from @pulumi/aws; a type the stack declares that is missing
 * here fails the synth, and so the tests, until someone decides.
 */
import type * as pulumi from '@pulumi/pulumi';
import type * as apigateway from '@pulumi/aws/apigateway';
import type * as cloudwatch from '@pulumi/aws/cloudwatch';
import type * as dynamodb from '@pulumi/aws/dynamodb';
import type * as iam from '@pulumi/aws/iam';
import type * as lambda from '@pulumi/aws/lambda';
import type * as sns from '@pulumi/aws/sns';
import type * as sqs from '@pulumi/aws/sqs';
import type * as ssm from '@pulumi/aws/ssm';

type Takes<Args, Input extends string> = Input extends keyof Args ? true : false;

/** Which of the inputs the conventions care about `Args` has; tsc refuses a wrong answer. */
const takes = <Args>(inputs: { tags: Takes<Args, 'tags'>; name: Takes<Args, 'name'> }) => inputs;

/** Type token -> whether the resource takes `tags` and `name`, for every AWS type the stack declares. */
export const RESOURCE_INPUTS: Record<string, { tags: boolean; name: boolean }> = {
  'aws:apigateway/account:Account': takes<apigateway.AccountArgs>({ tags: false, name: false }),
  'aws:apigateway/deployment:Deployment': takes<apigateway.DeploymentArgs>({ tags: false, name: false }),
  'aws:apigateway/integration:Integration': takes<apigateway.IntegrationArgs>({ tags: false, name: false }),
  'aws:apigateway/method:Method': takes<apigateway.MethodArgs>({ tags: false, name: false }),
  'aws:apigateway/methodSettings:MethodSettings': takes<apigateway.MethodSettingsArgs>({ tags: false, name: false }),
  'aws:apigateway/model:Model': takes<apigateway.ModelArgs>({ tags: false, name: true }),
  'aws:apigateway/requestValidator:RequestValidator': takes<apigateway.RequestValidatorArgs>({
    tags: false,
    name: true,
  }),
  'aws:apigateway/resource:Resource': takes<apigateway.ResourceArgs>({ tags: false, name: false }),
  'aws:apigateway/response:Response': takes<apigateway.ResponseArgs>({ tags: false, name: false }),
  'aws:apigateway/restApi:RestApi': takes<apigateway.RestApiArgs>({ tags: true, name: true }),
  'aws:apigateway/stage:Stage': takes<apigateway.StageArgs>({ tags: true, name: false }),
  'aws:cloudwatch/dashboard:Dashboard': takes<cloudwatch.DashboardArgs>({ tags: false, name: false }),
  'aws:cloudwatch/eventApiDestination:EventApiDestination': takes<cloudwatch.EventApiDestinationArgs>({
    tags: false,
    name: true,
  }),
  'aws:cloudwatch/eventBus:EventBus': takes<cloudwatch.EventBusArgs>({ tags: true, name: true }),
  'aws:cloudwatch/eventConnection:EventConnection': takes<cloudwatch.EventConnectionArgs>({ tags: false, name: true }),
  'aws:cloudwatch/eventRule:EventRule': takes<cloudwatch.EventRuleArgs>({ tags: true, name: true }),
  'aws:cloudwatch/eventTarget:EventTarget': takes<cloudwatch.EventTargetArgs>({ tags: false, name: false }),
  'aws:cloudwatch/logGroup:LogGroup': takes<cloudwatch.LogGroupArgs>({ tags: true, name: true }),
  'aws:cloudwatch/metricAlarm:MetricAlarm': takes<cloudwatch.MetricAlarmArgs>({ tags: true, name: true }),
  'aws:dynamodb/table:Table': takes<dynamodb.TableArgs>({ tags: true, name: true }),
  'aws:iam/role:Role': takes<iam.RoleArgs>({ tags: true, name: true }),
  'aws:iam/rolePolicy:RolePolicy': takes<iam.RolePolicyArgs>({ tags: false, name: true }),
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': takes<iam.RolePolicyAttachmentArgs>({
    tags: false,
    name: false,
  }),
  'aws:lambda/eventSourceMapping:EventSourceMapping': takes<lambda.EventSourceMappingArgs>({ tags: true, name: false }),
  'aws:lambda/function:Function': takes<lambda.FunctionArgs>({ tags: true, name: true }),
  'aws:lambda/permission:Permission': takes<lambda.PermissionArgs>({ tags: false, name: false }),
  'aws:sns/topic:Topic': takes<sns.TopicArgs>({ tags: true, name: true }),
  'aws:sns/topicSubscription:TopicSubscription': takes<sns.TopicSubscriptionArgs>({ tags: false, name: false }),
  'aws:sqs/queue:Queue': takes<sqs.QueueArgs>({ tags: true, name: true }),
  'aws:sqs/queuePolicy:QueuePolicy': takes<sqs.QueuePolicyArgs>({ tags: false, name: false }),
  'aws:ssm/parameter:Parameter': takes<ssm.ParameterArgs>({ tags: true, name: true }),
};

/**
 * A transformation (for a component's `transformations` option, inherited by every descendant) that
 * merges `tags` into every taggable AWS resource's inputs, over any tags the resource sets itself.
 */
export function tagTransformation(tags: Record<string, string>): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (!type.startsWith('aws:')) return undefined;
    const inputs = RESOURCE_INPUTS[type];
    if (inputs === undefined)
      throw new Error(`lib/tags.ts does not say whether ${type} takes tags: add it to RESOURCE_INPUTS`);
    if (!inputs.tags) return undefined;
    return { props: { ...props, tags: { ...(props.tags as Record<string, string> | undefined), ...tags } }, opts };
  };
}
