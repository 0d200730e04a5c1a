/**
 * The policy pack's content, without starting the policy server: index.ts hands it to PolicyPack,
 * the offline harness (test/policy) calls the same functions over the synth output.
 */
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { type Waiver, waiverPolicy } from './lib/waiver';
import { apigatewayRules } from './rules/apigateway';
import { cloudwatchRules } from './rules/cloudwatch';
import { dynamodbRules } from './rules/dynamodb';
import { eventbridgeRules } from './rules/eventbridge';
import { iamRules } from './rules/iam';
import { lambdaRules } from './rules/lambda';
import { sqsRules } from './rules/sqs';
import { ssmRules } from './rules/ssm';
import { WAIVERS } from './waivers';

export const PACK_NAME = 'tap-compliance';

/** The mandatory rules; `waivers` decides which rules accept a waived condition. */
export function mandatoryRules(
  waivers: readonly Waiver[] = WAIVERS,
): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return [
    ...apigatewayRules,
    ...lambdaRules(waivers),
    ...dynamodbRules(waivers),
    ...sqsRules,
    ...eventbridgeRules,
    ...ssmRules,
    ...cloudwatchRules,
    ...iamRules(waivers),
  ];
}

/** Every policy of the pack: the mandatory rules, then one advisory policy per waiver. */
export function buildPolicies(waivers: readonly Waiver[] = WAIVERS): Policies {
  return [...mandatoryRules(waivers), ...waivers.map(waiverPolicy)];
}

export { WAIVERS };
