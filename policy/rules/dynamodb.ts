/** DynamoDB: point-in-time recovery, KMS encryption, explicit billing mode, deletion protection. */
import { obj, ofType, resourceRule, stackRule, str } from '../lib/kit';
import { T } from '../lib/types';
import { relaxedBy, type Waiver } from '../lib/waiver';

const pointInTimeRecovery = resourceRule({
  name: 'dynamodb-pitr',
  summary: 'DynamoDB tables have point-in-time recovery enabled.',
  controls: { checkov: ['CKV_AWS_28'], fsbp: ['DynamoDB.2'], cdkNag: ['AwsSolutions-DDB3'] },
  severity: 'high',
  remediation: 'Set `pointInTimeRecovery: {enabled: true}`.',
  types: [T.table],
  check: (props, report) => {
    if (obj(props.pointInTimeRecovery)?.enabled !== true) report('point-in-time recovery is off');
  },
});

const encryption = resourceRule({
  name: 'dynamodb-sse-kms',
  summary:
    'DynamoDB tables use KMS server-side encryption (the aws/dynamodb key or a customer managed key), so key use is auditable in CloudTrail; a customer managed key (CKV_AWS_119) is a listed waiver.',
  controls: { other: ['AWS Well-Architected SEC08-BP02 (enforce encryption at rest)'] },
  severity: 'medium',
  remediation: 'Set `serverSideEncryption: {enabled: true}` (optionally with kmsKeyArn).',
  types: [T.table],
  check: (props, report) => {
    if (obj(props.serverSideEncryption)?.enabled !== true)
      report('server-side encryption with KMS is not enabled (AWS-owned key only)');
  },
});

const billingMode = stackRule({
  name: 'dynamodb-billing-mode',
  summary: 'DynamoDB tables state their billing mode: PAY_PER_REQUEST, or PROVISIONED with an auto-scaling target.',
  controls: { checkov: ['CKV2_AWS_16'], fsbp: ['DynamoDB.1'] },
  severity: 'medium',
  remediation: 'Set `billingMode: "PAY_PER_REQUEST"`, or PROVISIONED plus an appautoscaling Target for "table/<name>".',
  check: (resources, report) => {
    const scaled = ofType(resources, T.scalingTarget).map((t) => str(t.props.resourceId));
    for (const table of ofType(resources, T.table)) {
      const mode = str(table.props.billingMode);
      if (mode === 'PAY_PER_REQUEST') continue;
      if (mode !== 'PROVISIONED')
        report(table, 'billing mode is not stated (billingMode PAY_PER_REQUEST or PROVISIONED)');
      else if (!scaled.includes(`table/${str(table.props.name) ?? ''}`))
        report(table, 'PROVISIONED table without an auto-scaling target');
    }
  },
});

export const DELETION_PROTECTION_RULE = 'dynamodb-deletion-protection';

function deletionProtection(waivers: readonly Waiver[]) {
  return resourceRule({
    name: DELETION_PROTECTION_RULE,
    summary: 'DynamoDB tables have deletion protection, unless the waiver dynamodb-deletion-protection is in force.',
    controls: { fsbp: ['DynamoDB.6'] },
    severity: 'medium',
    remediation: 'Set `deletionProtectionEnabled: true` (stack config tap:tableDeletionProtection, default true).',
    types: [T.table],
    check: (props, report) => {
      if (props.deletionProtectionEnabled === true) return;
      if (relaxedBy(waivers, DELETION_PROTECTION_RULE)) return; // reported by the advisory waiver policy
      report('deletion protection is off: one `pulumi destroy` or console click deletes every tracking record');
    },
  });
}

export function dynamodbRules(waivers: readonly Waiver[]) {
  return [pointInTimeRecovery, encryption, billingMode, deletionProtection(waivers)];
}
