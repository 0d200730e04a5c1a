/**
 * Stage throttling as API Gateway applies it: a token bucket holding `burst` requests, refilled at
 * `rate` per second (the stack's method settings: apiRateLimit / apiBurstLimit). A request that finds
 * the bucket empty is answered 429 THROTTLED before anything else runs.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the request must be throttled. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
