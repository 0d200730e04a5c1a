/**
 * How stack rules find the resources that belong together. Under `pulumi preview/up` a stack rule
 * sees outputs (names, ARNs, URLs, ids); in the offline synth it sees resolved inputs. Every link
 * is made on a value both carry: a name, or the last segment of an ARN/URL.
 */
import type { PolicyResource } from '@pulumi/policy';
import { obj, str } from './kit';
import { T } from './types';

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` or `arn:aws:sqs:<region>:<account>:<name>` -> name. */
export function queueNameOf(urlOrArn: string): string | undefined {
  if (urlOrArn.startsWith('arn:')) return urlOrArn.split(':')[5] || undefined;
  const match = /^https?:\/\/[^/]+\/[^/]+\/([^/?#]+)/.exec(urlOrArn);
  return match?.[1];
}

/** The policy documents that apply to a queue: its own `policy` and every QueuePolicy naming its URL. */
export function queueDocuments(queue: PolicyResource, resources: PolicyResource[]): unknown[] {
  const names = queueNames(queue);
  const attached = resources.filter((p) => {
    if (p.type !== T.queuePolicy) return false;
    const url = str(p.props.queueUrl);
    const name = url && queueNameOf(url);
    return name !== undefined && names.has(name);
  });
  return [...(queue.props.policy !== undefined ? [queue.props.policy] : []), ...attached.map((p) => p.props.policy)];
}

/** The queue of the stack known by `name` (from an ARN or URL), if the stack declares it. */
export function queueNamed(resources: PolicyResource[], name: string): PolicyResource | undefined {
  return resources.find((r) => r.type === T.queue && queueNames(r).has(name));
}

/** Every name a queue is known by (its name input/output, or the last segment of its URL/ARN). */
export function queueNames(queue: PolicyResource): Set<string> {
  const names = new Set<string>();
  const name = str(queue.props.name);
  if (name) names.add(name);
  for (const key of ['url', 'arn', 'id']) {
    const value = str(queue.props[key]);
    const fromValue = value && queueNameOf(value);
    if (fromValue) names.add(fromValue);
  }
  return names;
}

/**
 * A Lambda function reference (`function`, `functionName`, `functionArn` inputs and outputs) -> the
 * function's name: a name as it is, an ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`)
 * by its name segment.
 */
function functionNameOf(nameOrArn: string): string | undefined {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn.split(':')[0] || undefined;
  const parts = nameOrArn.split(':');
  return parts[5] === 'function' ? parts[6] || undefined : undefined;
}

/** Every name a function is known by (its name input/output, or the name in its ARN). */
export function functionNames(fn: PolicyResource): Set<string> {
  const names = new Set<string>();
  for (const key of ['name', 'arn', 'id']) {
    const value = str(fn.props[key]);
    const name = value && functionNameOf(value);
    if (name) names.add(name);
  }
  return names;
}

/** The resources of `type` whose `properties` name the function `fn` (by name or ARN). */
export function referencing(
  resources: PolicyResource[],
  type: string,
  properties: string[],
  fn: PolicyResource,
): PolicyResource[] {
  const names = functionNames(fn);
  return resources.filter(
    (r) =>
      r.type === type &&
      properties.some((p) => {
        const value = str(r.props[p]);
        const name = value && functionNameOf(value);
        return !!name && names.has(name);
      }),
  );
}

/** The resources a property of `resource` depends on (only known under the Pulumi engine). */
export function dependencyOf(resource: PolicyResource, property: string): PolicyResource[] {
  return resource.propertyDependencies?.[property] ?? [];
}

/** A REST API reference (`restApi` is the API id) that two resources share, when both are known. */
export function sameApi(a: PolicyResource, b: PolicyResource): boolean {
  const left = str(a.props.restApi);
  const right = str(b.props.restApi);
  return left === undefined || right === undefined || left === right;
}

/** The log group a function writes to: its loggingConfig.logGroup, else Lambda's default name. */
export function functionLogGroupName(fn: PolicyResource): string | undefined {
  const configured = str(obj(fn.props.loggingConfig)?.logGroup);
  if (configured) return configured;
  const name = str(fn.props.name);
  return name ? `/aws/lambda/${name}` : undefined;
}

/** The log group API Gateway creates for a stage's execution logs unless the stack creates it first. */
export function executionLogGroupName(stage: PolicyResource): string | undefined {
  const api = str(stage.props.restApi);
  const stageName = str(stage.props.stageName);
  return api && stageName ? `API-Gateway-Execution-Logs_${api}/${stageName}` : undefined;
}

export function logGroupByName(resources: PolicyResource[], name: string): PolicyResource | undefined {
  return resources.find((r) => r.type === T.logGroup && str(r.props.name) === name);
}
