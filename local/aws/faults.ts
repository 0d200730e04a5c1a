/**
 * Fault injection and the call record, shared by every local AWS service (one instance per local
 * AWS, see local/aws/index.ts). A fault is written `service:Operation=ErrorCode[@rate][#count][+ms]`:
 *
 *   dynamodb:PutItem=ProvisionedThroughputExceededException@0.2   20 % of PutItem calls refused
 *   sqs:SendMessage=InternalError#2                                 the next 2 sends fail
 *   dynamodb:Query=+50ms                                            every Query takes 50 ms (its own work included)
 *   ssm:*=InternalServerError                                       every SSM call fails
 *   eventbridge:PutEventsEntry=InternalFailure@0.5                  half of the entries of each PutEvents fail
 *
 * `@rate` is a probability in (0, 1]; `#count` limits the fault to the next N matching calls; with
 * neither, every matching call is hit. `+ms` is the call's service time: a call's answer comes no
 * sooner than that after it arrived, its own work running meanwhile (as a service serving calls in
 * parallel would); an error comes after it. The error is answered with the HTTP status AWS gives that
 * code (ERROR_STATUS), so the SDK retries, or not, exactly as it would against AWS.
 */

const SERVICES = ['dynamodb', 'ssm', 'sqs', 'eventbridge'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Error codes a fault may answer with, and the HTTP status AWS answers each with. */
export const ERROR_STATUS: Record<string, number> = {
  ProvisionedThroughputExceededException: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 400,
  ValidationException: 400,
  AccessDeniedException: 400,
  ResourceNotFoundException: 400,
  UnrecognizedClientException: 400,
  SerializationException: 400,
  ParameterNotFound: 400,
  QueueDoesNotExist: 400,
  InternalServerError: 500,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
};

export interface Fault {
  service: ServiceName;
  /** An operation name, or `*` for every operation of the service. */
  operation: string;
  /** The error code to answer with; none = only the latency. */
  error?: string;
  /** Probability in (0, 1] that a matching call is hit; default 1. */
  rate?: number;
  /** Only the next N matching calls are hit; default unlimited. */
  count?: number;
  /** Added before the answer (or the error), in milliseconds. */
  latencyMs?: number;
  /** Only calls whose input this accepts (programmatic faults only, e.g. one item's writes). */
  match?: (input: Record<string, unknown>) => boolean;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const SPEC = /^([a-z0-9]+):([A-Za-z*]+)=([A-Za-z]*)(?:@([0-9.]+))?(?:#([0-9]+))?(?:\+([0-9]+)ms)?$/;

/** Parses `service:Operation=ErrorCode[@rate][#count][+ms]`; throws FaultSpecError naming what is wrong. */
export function parseFault(spec: string): Fault {
  const match = SPEC.exec(spec.trim());
  if (!match) {
    throw new FaultSpecError(`fault ${JSON.stringify(spec)} is not service:Operation=ErrorCode[@rate][#count][+ms]`);
  }
  const [, service, operation, error, rate, count, latency] = match;
  if (!(SERVICES as readonly string[]).includes(service)) {
    throw new FaultSpecError(
      `fault ${JSON.stringify(spec)}: unknown service ${service}; one of ${SERVICES.join(', ')}`,
    );
  }
  const fault: Fault = { service: service as ServiceName, operation };
  if (error) fault.error = error;
  if (rate !== undefined) fault.rate = Number(rate);
  if (count !== undefined) fault.count = Number(count);
  if (latency !== undefined) fault.latencyMs = Number(latency);
  return checkFault(fault, spec);
}

function checkFault(fault: Fault, spec?: string): Fault {
  const where = `fault ${spec === undefined ? JSON.stringify(fault) : JSON.stringify(spec)}`;
  if (fault.error !== undefined && !(fault.error in ERROR_STATUS)) {
    throw new FaultSpecError(
      `${where}: unknown error code ${fault.error}; one of ${Object.keys(ERROR_STATUS).join(', ')}`,
    );
  }
  if (fault.error === undefined && !fault.latencyMs)
    throw new FaultSpecError(`${where}: names neither an error code nor a latency`);
  if (fault.rate !== undefined && !(fault.rate > 0 && fault.rate <= 1))
    throw new FaultSpecError(`${where}: the rate must be in (0, 1]`);
  if (fault.count !== undefined && !(Number.isInteger(fault.count) && fault.count >= 1)) {
    throw new FaultSpecError(`${where}: the count must be a positive integer`);
  }
  return fault;
}

/** What one call gets: a delay, then an error (or the real answer). */
export interface FaultDecision {
  latencyMs: number;
  error?: { code: string; status: number };
}

/** One AWS call as a local service received it. */
export interface RecordedCall {
  service: ServiceName;
  operation: string;
  input: Record<string, unknown>;
  /**
   * Who called: the access key id of the request's SigV4 `Authorization` header
   * (`Credential=<key>/<date>/...`), unchecked; each local function has its own (local/runtime/function-env.ts).
   */
  principal?: string;
}

export class FaultInjector {
  private faults: { fault: Fault; remaining: number }[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a fault (a spec string or a Fault); returns a function that removes it again. */
  add(fault: Fault | string): () => void {
    const entry = { fault: typeof fault === 'string' ? parseFault(fault) : checkFault(fault), remaining: Infinity };
    entry.remaining = entry.fault.count ?? Infinity;
    this.faults.push(entry);
    return () => {
      this.faults = this.faults.filter((e) => e !== entry);
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Decides one call: the latencies of every matching fault add up; the first error that hits wins. */
  decide(service: ServiceName, operation: string, input: Record<string, unknown> = {}): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const entry of this.faults) {
      const { fault } = entry;
      if (fault.service !== service || (fault.operation !== '*' && fault.operation !== operation)) continue;
      if (fault.match && !fault.match(input)) continue;
      if (entry.remaining <= 0 || (fault.rate !== undefined && this.random() >= fault.rate)) continue;
      entry.remaining -= 1;
      decision.latencyMs += fault.latencyMs ?? 0;
      if (fault.error && !decision.error) decision.error = { code: fault.error, status: ERROR_STATUS[fault.error] };
    }
    return decision;
  }
}

/** Every call the local services received, in order (for least-privilege proofs and for tests). */
export class CallLog {
  readonly calls: RecordedCall[] = [];

  record(call: RecordedCall): void {
    this.calls.push(call);
  }

  /** The calls of one service (and operation), e.g. `of('ssm', 'GetParameter')`. */
  of(service: ServiceName, operation?: string): RecordedCall[] {
    return this.calls.filter((c) => c.service === service && (operation === undefined || c.operation === operation));
  }

  clear(): void {
    this.calls.length = 0;
  }
}
