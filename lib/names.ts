/**
 * Every physical name the stack gives, in one place: the stack, the local API and the benchmarks
 * all read them here. The only rule: `<base>-<environment suffix>`, so environments never collide.
 */
export function physicalName(base: string, suffix: string): string {
  return `${base}-${suffix}`;
}

export function resourceNames(suffix: string) {
  const name = (base: string) => physicalName(base, suffix);
  const functionName = name('tracking-api');
  return {
    table: name('tracking-updates'),
    queue: name('tracking-parked-updates'),
    functionName,
    /** Lambda's conventional group, created by the stack and attached through the logging config. */
    functionLogGroup: `/aws/lambda/${functionName}`,
    functionRole: name('tracking-api-role'),
    functionPolicy: name('tracking-api-policy'),
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
