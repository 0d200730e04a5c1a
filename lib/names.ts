/**
 * Every physical name the stack gives, in one place: the stack, the local API and the benchmarks
 * all read them here. The only rule: `<base>-<environment suffix>`, so environments never collide.
 */
function physicalName(base: string, suffix: string): string {
  return `${base}-${suffix}`;
}

/** The base name of each Lambda function (keys of FUNCTIONS in lib/functions.ts). */
const FUNCTION_BASES = { api: 'tracking-api', consumer: 'tracking-projection' } as const;
export type FunctionKey = keyof typeof FUNCTION_BASES;

export function resourceNames(suffix: string) {
  const name = (base: string) => physicalName(base, suffix);
  return {
    table: name('tracking-updates'),
    idempotencyTable: name('tracking-idempotency'),
    queue: name('tracking-parked-updates'),
    /** The API function's own dead-letter queue (failed asynchronous invocations; never parked updates). */
    functionDeadLetterQueue: name('tracking-api-dlq'),
    /** Where the event source mapping sends stream records the consumer keeps failing on. */
    streamFailureQueue: name('tracking-projection-failures'),
    /** A function's name, its role and inline policy, and Lambda's conventional log group (created by the stack). */
    function: (key: FunctionKey) => {
      const base = FUNCTION_BASES[key];
      const functionName = name(base);
      return {
        name: functionName,
        role: name(`${base}-role`),
        policy: name(`${base}-policy`),
        logGroup: `/aws/lambda/${functionName}`,
      };
    },
    /** The stack's custom EventBridge bus (status-change events). */
    eventBus: name('tracking-events'),
    /** The optional webhook: connection, API destination, rule, its target's role and dead-letter queue. */
    webhook: {
      connection: name('tracking-webhook'),
      destination: name('tracking-webhook'),
      rule: name('tracking-status-changed'),
      role: name('tracking-webhook-invoke'),
      deadLetterQueue: name('tracking-webhook-failures'),
    },
    restApi: name('tracking-api'),
    requestValidator: name('tracking-api-validator'),
    accessLogGroup: name('/aws/apigateway/tracking-api-access'),
    /** IAM role names are account-wide: the suffix keeps two stacks apart, not two regions. */
    apiGatewayCloudWatchRole: name('apigateway-cloudwatch'),
    alarmTopic: name('tracking-api-alarms'),
    alarm: (key: string) => name(`tracking-${key}`),
    dashboard: name('tracking-api'),
    /** The stage is named after the environment itself. */
    stage: suffix,
  };
}
