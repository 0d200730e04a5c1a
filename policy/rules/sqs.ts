/** SQS: encryption at rest, TLS-only access (linked across Queue and QueuePolicy), no public policy. */
import type { PolicyResource } from '@pulumi/policy';
import { isAnyPrincipal, label, parseDocument, resourceMatches, type Statement } from '../lib/iam-doc';
import { list, obj, ofType, resourceRule, stackRule, str } from '../lib/kit';
import { queueNameOf, queueNames } from '../lib/links';
import { T } from '../lib/types';

const encryption = resourceRule({
  name: 'sqs-encryption',
  summary: 'SQS queues are encrypted at rest (SSE-SQS or SSE-KMS).',
  controls: { checkov: ['CKV_AWS_27'], fsbp: ['SQS.1'], cdkNag: ['AwsSolutions-SQS2'] },
  severity: 'high',
  remediation: 'Set `sqsManagedSseEnabled: true` (or kmsMasterKeyId).',
  types: [T.queue],
  check: (props, report) => {
    if (props.sqsManagedSseEnabled !== true && !str(props.kmsMasterKeyId)) report('the queue is not encrypted at rest');
  },
});

function conditionValue(condition: Record<string, unknown> | undefined, operator: string, key: string): unknown[] {
  for (const [op, block] of Object.entries(condition ?? {})) {
    if (op.toLowerCase() !== operator.toLowerCase()) continue;
    for (const [k, v] of Object.entries(obj(block) ?? {})) if (k.toLowerCase() === key.toLowerCase()) return list(v);
  }
  return [];
}

function coversQueue(statement: Statement, name: string): boolean {
  return (statement.resources ?? []).some(
    (r) => r === '*' || resourceMatches(r.split(':').slice(5).join(':') || r, name),
  );
}

/** A Deny of every SQS action, to anyone, when aws:SecureTransport is false, on this queue. */
function deniesInsecureTransport(statements: Statement[], name: string): boolean {
  return statements.some(
    (s) =>
      s.effect === 'Deny' &&
      isAnyPrincipal(s.principal) &&
      (s.actions ?? []).some((a) => a === '*' || a.toLowerCase() === 'sqs:*') &&
      conditionValue(s.condition, 'Bool', 'aws:SecureTransport').some((v) => String(v) === 'false') &&
      coversQueue(s, name),
  );
}

/** The policy documents that apply to a queue: its own `policy` and every QueuePolicy naming its URL. */
function queueDocuments(queue: PolicyResource, resources: PolicyResource[]): unknown[] {
  const names = queueNames(queue);
  const attached = ofType(resources, T.queuePolicy).filter((p) => {
    const url = str(p.props.queueUrl);
    const name = url && queueNameOf(url);
    return name !== undefined && names.has(name);
  });
  return [...(queue.props.policy !== undefined ? [queue.props.policy] : []), ...attached.map((p) => p.props.policy)];
}

const tlsOnly = stackRule({
  name: 'sqs-tls-only',
  summary:
    'Every SQS queue has a policy (its own or an attached QueuePolicy) that denies any request made without TLS (aws:SecureTransport false).',
  controls: {
    cdkNag: ['AwsSolutions-SQS4'],
    other: ['AWS Well-Architected SEC09-BP02 (enforce encryption in transit)'],
  },
  severity: 'high',
  remediation:
    'Attach a QueuePolicy with {"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":<queue ARN>,"Condition":{"Bool":{"aws:SecureTransport":"false"}}}.',
  check: (resources, report) => {
    for (const queue of ofType(resources, T.queue)) {
      const names = [...queueNames(queue)];
      if (!names.length) {
        report(queue, "the queue's name is unknown, so its TLS-only policy cannot be found");
        continue;
      }
      const statements = queueDocuments(queue, resources).flatMap((doc) => {
        const parsed = parseDocument(doc);
        return 'statements' in parsed ? parsed.statements : [];
      });
      if (!names.some((name) => deniesInsecureTransport(statements, name))) {
        report(queue, 'no queue policy denies requests without TLS (Deny sqs:* when aws:SecureTransport is false)');
      }
    }
  },
});

const policyNotPublic = resourceRule({
  name: 'sqs-policy-not-public',
  summary: 'SQS queue policies grant nothing to everyone and never allow every action.',
  controls: { checkov: ['CKV_AWS_168', 'CKV_AWS_72'] },
  severity: 'critical',
  remediation:
    'Name the principals (account, role or service with aws:SourceArn) and the exact sqs: actions in Allow statements.',
  types: [T.queuePolicy, T.queue],
  check: (props, report) => {
    if (props.policy === undefined) return;
    const parsed = parseDocument(props.policy);
    if ('error' in parsed) {
      report(parsed.error);
      return;
    }
    parsed.statements.forEach((s, i) => {
      if (s.effect !== 'Allow') return;
      if (isAnyPrincipal(s.principal) && !s.condition) report(`${label(s, i)} allows everyone without a condition`);
      if ((s.actions ?? []).some((a) => a === '*' || a.toLowerCase() === 'sqs:*'))
        report(`${label(s, i)} allows every SQS action`);
    });
  },
});

export const sqsRules = [encryption, tlsOnly, policyNotPublic];
