/**
 * What `npm start` prints once ready: URLs, credentials, a curl example that works as pasted, where
 * status-change events go, replay env.
 */
import { FUNCTION_ENV, ROUTES } from '../lambda/contract';
import type { LocalApi } from './local-api';

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Where the bus's events go, and whether the consumer puts any (the real_time_notifications flag). */
function eventsLine(api: LocalApi): string {
  const { bus, file, webhook } = api.eventSinks;
  const sinks = [file && `events file ${file}`, webhook && `webhook ${webhook}`].filter(Boolean);
  const where = sinks.length > 0 ? sinks.join(', ') : 'kept in memory; use --events-file FILE (or --webhook URL)';
  const flag = api.args.featureFlags.real_time_notifications
    ? ''
    : '\n               (realTimeNotifications is off: none are put; start with --set realTimeNotifications=true)';
  return `  events       bus ${bus} -> ${where}${flag}`;
}

export function banner(api: LocalApi): string {
  const { accessKeyId, secretAccessKey } = api.credentials;
  const sigv4 = `curl --aws-sigv4 "aws:amz:${api.region}:execute-api" --user "${accessKeyId}:${secretAccessKey}"`;
  const update = JSON.stringify({
    tracking_id: 'PKG-1001',
    status: 'in_transit',
    location: { lat: 47.61, lng: -122.33 },
  });
  const replayEnv = {
    ...api.aws.env,
    [FUNCTION_ENV.tableName]: api.tableName,
    [FUNCTION_ENV.queueUrl]: api.queueUrl,
    [FUNCTION_ENV.environment]: api.stage,
  };
  return [
    `Tracking API (local) ready: stage ${api.stage}, region ${api.region}`,
    `  base URL     ${api.url}`,
    `  routes       ${Object.values(ROUTES)
      .map(
        (r) =>
          `${r.method} ${api.url}${r.path}${'requiredQuery' in r ? `?${r.requiredQuery.map((q) => `${q}=...`).join('&')}` : ''}`,
      )
      .join('    ')}`,
    `  credentials  access key ${accessKeyId}  secret ${secretAccessKey}  (SigV4, service execute-api)`,
    `  openapi      ${api.url}/openapi.json  (no auth; local only)`,
    `  caller       ${api.identity.userArn}`,
    `  table        ${api.tableName}    idempotency ${api.idempotencyTableName}    queue ${api.queueUrl}`,
    `  stream       -> ${api.definitions.consumer.name} (batch ${api.args.stream.batchSize}, window ${api.args.stream.batchWindowSeconds} s); failures -> ${api.failureQueueUrl}`,
    eventsLine(api),
    '',
    'Store an update, then read it back:',
    `  ${sigv4} -H "Content-Type: application/json" -H "Idempotency-Key: scan-PKG-1001-0001" -d '${update}' ${api.url}/track`,
    `  ${sigv4} "${api.url}/status?limit=2&tracking_id=PKG-1001"`,
    '  (query parameters in name order: curl before 8.x signs them as given, SigV4 sorts them)',
    'List shipments by current status (the projection follows within about a second):',
    `  ${sigv4} "${api.url}/shipments?limit=3&status=in_transit"`,
    '',
    'Replay parked updates into the local table (in another terminal):',
    `  env ${Object.entries(replayEnv)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ')} npm run replay`,
    '',
  ].join('\n');
}
