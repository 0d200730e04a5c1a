/** CloudWatch: alarms notify someone, log groups expire. */
import { list, num, resourceRule } from '../lib/kit';
import { T } from '../lib/types';

const alarmActions = resourceRule({
  name: 'cloudwatch-alarm-actions',
  summary: 'Every CloudWatch alarm has an action for the ALARM state, and its actions are enabled.',
  controls: { checkov: ['CKV_AWS_319'], fsbp: ['CloudWatch.15', 'CloudWatch.17'] },
  severity: 'medium',
  remediation: 'Set `alarmActions: [<SNS topic ARN>]` and leave actionsEnabled true.',
  types: [T.metricAlarm, T.compositeAlarm],
  check: (props, report) => {
    if (!list(props.alarmActions).some((a) => typeof a === 'string' && a.length > 0))
      report('the alarm has no alarm action: nobody is told');
    if (props.actionsEnabled === false) report("the alarm's actions are disabled");
  },
});

const logGroupRetention = resourceRule({
  name: 'cloudwatch-log-group-retention',
  summary: 'Every CloudWatch log group has a retention period (never "never expire").',
  controls: { checkov: ['CKV_AWS_66'], fsbp: ['CloudWatch.16'] },
  severity: 'medium',
  remediation: 'Set `retentionInDays` (stack config tap:logRetentionDays).',
  types: [T.logGroup],
  check: (props, report) => {
    if ((num(props.retentionInDays) ?? 0) <= 0) report('the log group never expires (no retentionInDays)');
  },
});

export const cloudwatchRules = [alarmActions, logGroupRetention];
