/** SQS: encryption at rest, TLS-only access (linked across Queue and QueuePolicy), no public policy. */
import { isAnyPrincipal, label, parseDocument, resourceMatches, type Statement } from '../lib/iam-doc';
import { list, obj, ofType, resourceRule, stackRule, str } from '../lib/kit';
import { queueDocuments, queueNames } from '../lib/links';
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

/** The service principals a statement names (`{"Service": ...}`). */
export function servicePrincipals(principal: unknown): string[] {
  return list(obj(principal)?.Service).map((v) => String(v));
}

/** Condition keys that tie a service principal's grant to one source: a resource, or this account. */
const SOURCE_KEYS = ['aws:sourcearn', 'aws:sourceaccount'];

/** True when some operator of the condition tests one of `keys` (condition keys are case-insensitive). */
function conditionTests(condition: Record<string, unknown> | undefined, keys: string[]): boolean {
  return Object.values(condition ?? {}).some((block) =>
    Object.keys(obj(block) ?? {}).some((k) => keys.includes(k.toLowerCase())),
  );
}

const policyNotPublic = resourceRule({
  name: 'sqs-policy-not-public',
  summary:
    'SQS queue policies allow nothing to a wildcard principal (whatever the condition), scope every service principal to one source (aws:SourceArn or aws:SourceAccount), and never allow every action.',
  controls: { checkov: ['CKV_AWS_168', 'CKV_AWS_72'] },
  severity: 'critical',
  remediation:
    'Name the principals in Allow statements (an account, a role, or a service with an aws:SourceArn condition naming the one resource it acts for) and the exact sqs: actions.',
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
      // A condition does not make a wildcard principal safe: aws:SecureTransport, for one, admits anybody.
      if (isAnyPrincipal(s.principal)) report(`${label(s, i)} allows every principal ("*")`);
      if (s.notPrincipal !== undefined) report(`${label(s, i)} allows every principal but some (NotPrincipal)`);
      const services = servicePrincipals(s.principal);
      if (services.length && !conditionTests(s.condition, SOURCE_KEYS))
        report(
          `${label(s, i)} lets ${services.join(', ')} act for any account's resources: no aws:SourceArn or aws:SourceAccount condition`,
        );
      if ((s.actions ?? []).some((a) => a === '*' || a.toLowerCase() === 'sqs:*'))
        report(`${label(s, i)} allows every SQS action`);
    });
  },
});

export const sqsRules = [encryption, tlsOnly, policyNotPublic];
