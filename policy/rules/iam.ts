/** IAM: exact actions, scoped resources (X-Ray excepted), no PassRole, no admin or unlisted AWS-managed policies. */
import {
  hasWildcard,
  isAnyPrincipal,
  isUnscopedResource,
  label,
  parseDocument,
  type Statement,
  statementCoversAction,
} from '../lib/iam-doc';
import { list, obj, type Props, resourceRule, str } from '../lib/kit';
import { T } from '../lib/types';
import type { Waiver } from '../lib/waiver';

/** Actions that support no resource-level permissions: the only ones allowed on Resource "*". */
export const RESOURCE_STAR_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
];

const IDENTITY_POLICY_TYPES: string[] = [T.rolePolicy, T.userPolicy, T.groupPolicy, T.policy, T.role];

/** The identity-based policy documents a resource carries (Role: its inline policies). */
export function identityDocuments(type: string, props: Props): { where: string; document: unknown }[] {
  if (!IDENTITY_POLICY_TYPES.includes(type)) return [];
  if (type === T.role) {
    return list(props.inlinePolicies).map((p, i) => ({
      where: `inline policy ${str(obj(p)?.name) ?? `#${i + 1}`}`,
      document: obj(p)?.policy,
    }));
  }
  return props.policy === undefined ? [] : [{ where: 'policy', document: props.policy }];
}

/** Calls `visit` for every Allow statement of every identity policy of the resource. */
function eachAllow(
  type: string,
  props: Props,
  report: (message: string) => void,
  visit: (statement: Statement, where: string) => void,
  reportErrors = false,
): void {
  for (const { where, document } of identityDocuments(type, props)) {
    const parsed = parseDocument(document);
    if ('error' in parsed) {
      if (reportErrors) report(`${where}: ${parsed.error}; it cannot be checked`);
      continue;
    }
    parsed.statements.forEach((s, i) => {
      if (s.effect === 'Allow') visit(s, `${where}, ${label(s, i)}`);
    });
  }
}

const noWildcardAction = resourceRule({
  name: 'iam-no-wildcard-action',
  summary:
    'IAM policies allow exact actions only: no "*", no "service:*", no wildcard pattern, no Allow with NotAction.',
  controls: { checkov: ['CKV_AWS_63'], fsbp: ['IAM.21'], cdkNag: ['AwsSolutions-IAM5'] },
  severity: 'high',
  remediation: 'List the exact actions the code calls (e.g. dynamodb:PutItem, dynamodb:Query).',
  types: IDENTITY_POLICY_TYPES,
  check: (props, report, args) =>
    eachAllow(
      args.type,
      props,
      report,
      (s, where) => {
        if (s.notActions) report(`${where} allows every action except ${s.notActions.join(', ')} (NotAction)`);
        for (const action of s.actions ?? [])
          if (hasWildcard(action)) report(`${where} allows the wildcard action ${action}`);
      },
      true,
    ),
});

const noWildcardResource = resourceRule({
  name: 'iam-no-wildcard-resource',
  summary:
    'IAM policies allow actions on named resources only; Resource "*" only for X-Ray actions, which have no resource-level permissions.',
  controls: { checkov: ['CKV_AWS_355'], cdkNag: ['AwsSolutions-IAM5'] },
  severity: 'high',
  remediation:
    'Name the ARNs (table, index, parameters, queue, log group); keep "*" for xray:PutTraceSegments/PutTelemetryRecords only.',
  types: IDENTITY_POLICY_TYPES,
  check: (props, report, args) =>
    eachAllow(args.type, props, report, (s, where) => {
      const unscoped = !!s.notResources || (s.resources ?? []).some(isUnscopedResource);
      if (!unscoped) return;
      const allowed = new Set(RESOURCE_STAR_ACTIONS.map((a) => a.toLowerCase()));
      const others = s.notActions ? ['(NotAction)'] : (s.actions ?? []).filter((a) => !allowed.has(a.toLowerCase()));
      if (others.length) report(`${where} allows ${others.join(', ')} on every resource`);
    }),
});

const noPassRole = resourceRule({
  name: 'iam-no-pass-role',
  summary:
    'IAM policies never allow iam:PassRole (directly or through a wildcard): the function hands its role to nothing.',
  controls: { checkov: ['CKV_AWS_286'] },
  severity: 'critical',
  remediation: 'Remove iam:PassRole (and iam:* / iam:Pass* patterns) from the policy.',
  types: IDENTITY_POLICY_TYPES,
  check: (props, report, args) =>
    eachAllow(args.type, props, report, (s, where) => {
      if (statementCoversAction(s, 'iam:PassRole')) report(`${where} allows iam:PassRole (privilege escalation)`);
    }),
});

const ADMIN_POLICY = /^(AdministratorAccess|PowerUserAccess|IAMFullAccess|.*FullAccess)$/;
const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/;
const ATTACHMENT_TYPES: string[] = [
  T.rolePolicyAttachment,
  T.userPolicyAttachment,
  T.groupPolicyAttachment,
  T.policyAttachment,
];

const ADMIN_POLICIES_RULE = 'iam-no-admin-policies';

function noAdminPolicies(waivers: readonly Waiver[]) {
  const allowed = new Set(waivers.flatMap((w) => w.allowsPolicyArns ?? []));
  return resourceRule({
    name: ADMIN_POLICIES_RULE,
    summary:
      'No administrator-level access: no "*" on "*" statement, no AdministratorAccess/PowerUserAccess/*FullAccess, and no AWS-managed policy outside the waiver list.',
    controls: {
      checkov: ['CKV_AWS_62', 'CKV_AWS_274', 'CKV2_AWS_56'],
      fsbp: ['IAM.1'],
      cdkNag: ['AwsSolutions-IAM4'],
    },
    severity: 'critical',
    remediation: 'Replace the managed policy by an inline policy with exact actions on named resources.',
    types: [...IDENTITY_POLICY_TYPES, ...ATTACHMENT_TYPES],
    check: (props, report, args) => {
      eachAllow(args.type, props, report, (s, where) => {
        const everyAction = !!s.notActions || (s.actions ?? []).includes('*');
        if (everyAction && (s.resources ?? []).includes('*'))
          report(`${where} grants full administrative privileges ("*" on "*")`);
      });
      const arns =
        args.type === T.role
          ? list(props.managedPolicyArns)
          : ATTACHMENT_TYPES.includes(args.type)
            ? [props.policyArn]
            : [];
      for (const arn of arns.filter((a): a is string => typeof a === 'string')) {
        const managed = AWS_MANAGED.exec(arn);
        if (!managed) continue; // customer managed: its document is checked where the stack defines it
        if (ADMIN_POLICY.test(managed[1])) report(`attaches the administrator-level AWS managed policy ${managed[1]}`);
        else if (!allowed.has(arn))
          report(`attaches the AWS managed policy ${managed[1]}, which is not on the waiver list`);
      }
    },
  });
}

const trustPolicyScoped = resourceRule({
  name: 'iam-trust-policy-scoped',
  summary: 'IAM roles can be assumed only by named principals (no "*" principal without a condition).',
  controls: { checkov: ['CKV_AWS_60'] },
  severity: 'critical',
  remediation: "Name the service (e.g. lambda.amazonaws.com) or account in the trust policy's Principal.",
  types: [T.role],
  check: (props, report) => {
    if (props.assumeRolePolicy === undefined) return;
    const parsed = parseDocument(props.assumeRolePolicy);
    if ('error' in parsed) {
      report(`trust policy: ${parsed.error}`);
      return;
    }
    parsed.statements.forEach((s, i) => {
      if (s.effect === 'Allow' && isAnyPrincipal(s.principal) && !s.condition)
        report(`trust policy ${label(s, i)} lets any principal assume the role`);
    });
  },
});

export function iamRules(waivers: readonly Waiver[]) {
  return [noWildcardAction, noWildcardResource, noPassRole, noAdminPolicies(waivers), trustPolicyScoped];
}
