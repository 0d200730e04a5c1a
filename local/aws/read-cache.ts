/**
 * The local DynamoDB's answers to reads, kept while nothing changed: a read repeated with the same
 * request is answered from memory instead of by the engine again.
 *
 * Why: the engine runs in this one thread and works through calls one after another, so reads sent
 * in parallel (a listing's shard queries) wait for each other's engine work. With a latency injected
 * as a call's service time (faults.ts), that wait came on top of it: 8 parallel queries of a fixed
 * 5 ms took up to 2–3 ms longer at the tail, the engine's CPU and not the function's. Repeated reads
 * of unchanged data (the benchmark's listings and GET /status loads) no longer pay it.
 *
 * Every other call (a write, a table created) empties the cache when it starts and when it ends, and
 * an answer is kept only if no such call started or ended while it was being read, so no answer is
 * ever older than the last change. Only successful answers are kept.
 */
import type { RawAnswer } from './json-protocol';

/** Enough for every distinct read of a benchmark or a test between two writes; emptied when full. */
const MAX_ENTRIES = 10_000;

export class ReadCache {
  private readonly answers = new Map<string, RawAnswer>();
  /** Counts the starts and ends of changes: a read that saw it move may have read half-changed data. */
  private generation = 0;

  /** The answer to `request`, from memory when unchanged since it was last read, else from `read`. */
  async read(request: string, read: () => Promise<RawAnswer>): Promise<RawAnswer> {
    const kept = this.answers.get(request);
    if (kept) return kept;
    const generation = this.generation;
    const answer = await read();
    if (answer.statusCode === 200 && generation === this.generation) {
      if (this.answers.size >= MAX_ENTRIES) this.answers.clear();
      this.answers.set(request, answer);
    }
    return answer;
  }

  /** Runs a call that may change the data: no answer read before or during it is served after it. */
  async change<T>(work: () => Promise<T>): Promise<T> {
    this.invalidate();
    try {
      return await work();
    } finally {
      this.invalidate();
    }
  }

  private invalidate(): void {
    this.generation += 1;
    this.answers.clear();
  }
}
