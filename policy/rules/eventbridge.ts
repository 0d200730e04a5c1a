/** EventBridge: every rule target keeps what it cannot deliver (a dead-letter queue EventBridge may write to). */
import type { PolicyResource } from '@pulumi/policy';
import { parseDocument, resourceMatches, statementCoversAction, type Statement } from '../lib/iam-doc';
import { obj, ofType, stackRule, str } from '../lib/kit';
import { queueDocuments, queueNameOf, queueNamed } from '../lib/links';
import { T } from '../lib/types';
import { servicePrincipals } from './sqs';

const EVENTS_SERVICE = 'events.amazonaws.com';

/** An Allow of sqs:SendMessage to EventBridge on the queue (its source scoping is sqs-policy-not-public's concern). */
function letsEventBridgeSend(statement: Statement, queueName: string): boolean {
  return (
    statement.effect === 'Allow' &&
    servicePrincipals(statement.principal).includes(EVENTS_SERVICE) &&
    statementCoversAction(statement, 'sqs:SendMessage') &&
    (statement.resources ?? []).some(
      (r) => r === '*' || resourceMatches(r.split(':').slice(5).join(':') || r, queueName),
    )
  );
}

function statementsOf(queue: PolicyResource, resources: PolicyResource[]): Statement[] {
  return queueDocuments(queue, resources).flatMap((doc) => {
    const parsed = parseDocument(doc);
    return 'statements' in parsed ? parsed.statements : [];
  });
}

const targetDeadLetterQueue = stackRule({
  name: 'eventbridge-target-dead-letter-queue',
  summary:
    'Every EventBridge rule target has a dead-letter queue: a standard SQS queue that, when the stack declares it, allows EventBridge to send to it.',
  controls: {
    cdkNag: ['Serverless-EventBusDLQ'],
    other: ['serverless-rules ES4000 (EventBridge rule without DLQ)'],
  },
  severity: 'high',
  remediation:
    'Set `deadLetterConfig: {arn: <standard SQS queue ARN>}` on the target, and give that queue a policy allowing sqs:SendMessage to events.amazonaws.com with `ArnEquals aws:SourceArn <the rule ARN>`.',
  check: (resources, report) => {
    for (const target of ofType(resources, T.eventTarget)) {
      const arn = str(obj(target.props.deadLetterConfig)?.arn);
      if (!arn) {
        report(target, 'no dead-letter queue: the events EventBridge gives up delivering are dropped');
        continue;
      }
      const name = /^arn:aws[a-z-]*:sqs:/.test(arn) ? queueNameOf(arn) : undefined;
      if (!name) {
        report(target, `its dead-letter queue ${arn} is not an SQS queue ARN`);
        continue;
      }
      if (name.endsWith('.fifo')) {
        report(
          target,
          `its dead-letter queue ${name} is a FIFO queue, which EventBridge refuses as a dead-letter queue`,
        );
        continue;
      }
      // A queue of another stack: its policy is not visible here.
      const queue = queueNamed(resources, name);
      if (queue && !statementsOf(queue, resources).some((s) => letsEventBridgeSend(s, name))) {
        report(
          target,
          `its dead-letter queue ${name} has no policy allowing EventBridge (events.amazonaws.com) sqs:SendMessage: dead letters would be lost`,
        );
      }
    }
  },
});

export const eventbridgeRules = [targetDeadLetterQueue];
