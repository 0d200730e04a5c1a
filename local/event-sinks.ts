/**
 * Where the local EventBridge's accepted events go besides memory: the events file (`npm start
 * --events-file`, one JSON line per event) and the webhook (`--webhook`), delivered as the stack's
 * API destination would (the rule target's InputPath `$.detail`: the body is the detail JSON).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { STATUS_EVENT } from '../lambda/contract';
import type { LocalEvent } from './aws/eventbridge';

/** Where the events the stack's bus accepts go (what the banner tells). */
export interface LocalEventSinks {
  /** The stack's bus (names.eventBus). */
  bus: string;
  /** The events file (absolute path), if any. */
  file?: string;
  /** The webhook URL, if any. */
  webhook?: string;
}

/** Attempts of one webhook delivery (the first and the retries), and the first retry's delay (doubling). */
const WEBHOOK_ATTEMPTS = 4;
const WEBHOOK_FIRST_RETRY_MS = 250;
/** API destinations give the endpoint 5 s. */
const WEBHOOK_TIMEOUT_MS = 5000;
/** What API destinations retry (the rest of 4xx is final). */
const retryableStatus = (status: number) => status >= 500 || [401, 407, 409, 429].includes(status);

/** One events-file line: the PutEvents entry as it was accepted, Detail parsed. */
function eventsFileLine(event: LocalEvent): string {
  return JSON.stringify({
    Time: event.time,
    Source: event.source,
    DetailType: event['detail-type'],
    EventBusName: event.eventBusName.replace(/^arn:aws:events:[^:]+:[0-9]+:event-bus\//, ''),
    Detail: event.detail,
  });
}

/** Resolves with the status of one POST (any status), rejects on a network error or the timeout. */
function post(url: URL, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
        agent: false,
        timeout: WEBHOOK_TIMEOUT_MS,
        signal,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${WEBHOOK_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function startEventSinks(opts: {
  bus: string;
  file?: string;
  webhook?: string;
  authHeaderName: string;
  secret?: string;
  log: (line: string) => void;
}) {
  const file = opts.file === undefined ? undefined : path.resolve(opts.file);
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, ''); // created now (for `tail -f`), never truncated
  }
  let webhook: URL | undefined;
  if (opts.webhook !== undefined) {
    try {
      webhook = new URL(opts.webhook);
    } catch {
      webhook = undefined;
    }
    if (!webhook || (webhook.protocol !== 'http:' && webhook.protocol !== 'https:')) {
      throw new Error(`webhook ${JSON.stringify(opts.webhook)} is not an http(s) URL`);
    }
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Amazon/EventBridge/ApiDestinations',
  };
  if (opts.secret) headers[opts.authHeaderName] = opts.secret;

  const pending = new Set<Promise<void>>();
  const abort = new AbortController();
  /** A backoff delay, cut short by close(). */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done);
    });

  const send = async (url: URL, event: LocalEvent) => {
    const body = JSON.stringify(event.detail);
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && !abort.signal.aborted; attempt++) {
      let problem: string;
      let retry = true;
      try {
        const status = await post(url, body, headers, abort.signal);
        if (status >= 200 && status < 300) return;
        problem = `answered ${status}`;
        retry = retryableStatus(status);
      } catch (error) {
        if (abort.signal.aborted) return;
        problem = `failed: ${(error as Error).message}`;
      }
      const last = !retry || attempt === WEBHOOK_ATTEMPTS;
      opts.log(
        `webhook ${url.href} ${problem} for event ${event.id} (attempt ${attempt} of ${WEBHOOK_ATTEMPTS}${last ? ', given up' : ''})`,
      );
      if (last) return;
      await wait(WEBHOOK_FIRST_RETRY_MS * 2 ** (attempt - 1));
    }
  };

  return {
    where: { bus: opts.bus, file, webhook: webhook?.href } satisfies LocalEventSinks,
    deliver(event: LocalEvent): void {
      if (file) {
        try {
          fs.appendFileSync(file, `${eventsFileLine(event)}\n`);
        } catch (error) {
          opts.log(`could not append event ${event.id} to ${file}: ${(error as Error).message}`);
        }
      }
      // The stack's rule matches exactly the contract's status-change events (lib/webhook.ts STATUS_EVENT_PATTERN).
      const matches = event.source === STATUS_EVENT.source && event['detail-type'] === STATUS_EVENT.detailType;
      if (webhook && matches && !abort.signal.aborted) {
        const delivery = send(webhook, event).catch((error: Error) =>
          opts.log(`webhook delivery of event ${event.id} failed: ${error.message}`),
        );
        pending.add(delivery);
        void delivery.finally(() => pending.delete(delivery));
      }
    },
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    /** Stops: deliveries still retrying are dropped. */
    async close(): Promise<void> {
      abort.abort();
      await Promise.all([...pending]);
    },
  };
}
