/**
 * Policy pack entry: `pulumi preview --policy-pack policy` loads this file (see README.md here).
 * Mandatory rules block the update; waivers report as advisory.
 */
import { PolicyPack } from '@pulumi/policy';
import { buildPolicies, PACK_NAME } from './policies';

new PolicyPack(PACK_NAME, {
  description:
    'Compliance rules of the logistics tracking API (API Gateway, Lambda, DynamoDB, SQS, EventBridge, SSM, CloudWatch, IAM), each naming the Checkov, Security Hub FSBP and cdk-nag controls it implements; deliberate exceptions are advisory waivers with written reasons.',
  enforcementLevel: 'mandatory',
  policies: buildPolicies(),
});
