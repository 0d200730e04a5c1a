/**
 * The read behind GET /shipments: the shipments whose CURRENT status is S, latest `updated_at`
 * first, from the sparse StatusIndex (only state records carry its keys).
 *
 * The index is write-sharded (`status_shard` = `<status>#<n>`, lambda/shard.ts): one Query per shard,
 * all in parallel, each newest first (`ScanIndexForward: false`) and at most `limit` long; the shards'
 * answers are merged newest first (k-way, by `updated_key`, descending) and cut at `limit`. Every
 * record of the global first `limit` is among the first `limit` of its own shard, so the merged page
 * is exactly the global first `limit`: never short because of shard boundaries.
 *
 * `updated_key` (lambda/state.ts) is a total order, so one key continues every shard exactly: the
 * next page is `updated_key < <the last key returned>` in each shard. The bounds are key conditions
 * too: `updated_at < T` is `updated_key < updatedKeyFloor(T)`, `updated_at > T` is `updated_key >=
 * updatedKeyFloor(T + 1)` (a floor is 15 digits and no `#`: never a key itself, so `<` and `<=` on
 * it select the same records). A key condition has one range: with both a lower bound and a cursor
 * it is `BETWEEN :lower AND :cursorKey`, and the cursor's own key (only ever in its shipment's
 * shard, which asks for one record more) is dropped from the answer.
 *
 * A page has a next cursor when the merge was cut, or a shard may hold more (it gave `limit`
 * records, or a LastEvaluatedKey): then the last key of a full page can be the listing's end, and
 * the next page is empty, as with GET /status.
 *
 * Strings are compared as DynamoDB compares them: by their UTF-8 bytes.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { setMaxListeners } from 'events';
import { TRACKING_TABLE, type TrackingStatus } from './contract';
import { shardIndex } from './shard';
import { PUBLIC_STATE_FIELDS, updatedKeyFloor, type PublicState, type StateRecord } from './state';
import { readFailure } from './store';

export interface ListingQuery {
  status: TrackingStatus;
  /** Page size (LIMITS.listPageSize*). */
  limit: number;
  /** Only records with `updated_at` strictly before this instant (epoch ms). */
  before?: number;
  /** Only records with `updated_at` strictly after this instant (epoch ms). */
  after?: number;
  /** Continue strictly after (older than) this `updated_key`: the last one of the previous page. */
  afterKey?: string;
}

export interface ListingPage {
  records: ListedState[];
  /** The last returned record's `updated_key`, when the listing may go on. */
  nextKey?: string;
}

/** The `updated_key` range of a listing, as one key condition for every shard. */
interface KeyRange {
  /** Inclusive. */
  lower?: string;
  /** Exclusive; with a lower bound it is queried inclusively (BETWEEN), and `skip` says what to drop. */
  upper?: string;
  /** The cursor's own key, when the range includes it (BETWEEN): dropped from the answers. */
  skip?: string;
}

/** A shard's first records of the range; `more`: it may hold others. */
interface ShardAnswer {
  records: ListedState[];
  more: boolean;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const compareKeys = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b));

/** The key range of a query; undefined when nothing can match (no query is sent). */
export function keyRange(query: Pick<ListingQuery, 'before' | 'after' | 'afterKey'>): KeyRange | undefined {
  // Event times are at or after the epoch: a bound before it excludes everything, or nothing.
  if (query.before !== undefined && query.before <= 0) return undefined;
  const lower = query.after !== undefined && query.after >= 0 ? updatedKeyFloor(query.after + 1) : undefined;
  const beforeKey = query.before === undefined ? undefined : updatedKeyFloor(query.before);
  const cursorIsTighter =
    query.afterKey !== undefined && (beforeKey === undefined || compareKeys(query.afterKey, beforeKey) < 0);
  const upper = cursorIsTighter ? query.afterKey : beforeKey;
  if (lower !== undefined && upper !== undefined) {
    if (compareKeys(lower, upper) > 0) return undefined;
    return { lower, upper, skip: cursorIsTighter ? upper : undefined };
  }
  return { lower, upper };
}

/** The shards' newest-first lists merged newest first, at most `take` records. */
/** What a listing reads of a state record: what the page shows, and the sort key the cursor continues from. */
export type ListedState = PublicState & Pick<StateRecord, 'updated_key'>;

/** The attributes a listing reads (exported so the benchmark's floor makes the very same query). */
export const LISTING_PROJECTION = (() => {
  const fields = [...PUBLIC_STATE_FIELDS, TRACKING_TABLE.statusIndex.rangeKey];
  return {
    names: Object.fromEntries(fields.map((field) => [`#p_${field}`, field])),
    expression: fields.map((field) => `#p_${field}`).join(', '),
  };
})();

export function mergeNewestFirst(lists: ListedState[][], take: number): ListedState[] {
  const keys = lists.map((list) => list.map((record) => utf8(record.updated_key)));
  const next = lists.map(() => 0);
  const merged: ListedState[] = [];
  while (merged.length < take) {
    let best = -1;
    for (let shard = 0; shard < lists.length; shard++) {
      if (next[shard] >= lists[shard].length) continue;
      if (best < 0 || Buffer.compare(keys[shard][next[shard]], keys[best][next[best]]) > 0) best = shard;
    }
    if (best < 0) break;
    merged.push(lists[best][next[best]++]);
  }
  return merged;
}

export class StatusListing {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly shardCount: number,
  ) {}

  /** One page of the listing. Throws ReadUnavailableError when DynamoDB refuses any shard's query (after retries). */
  async page(query: ListingQuery, abortSignal?: AbortSignal): Promise<ListingPage> {
    const range = keyRange(query);
    if (!range) return { records: [] };
    // Only the shard of the cursor's own shipment can hold the key to skip: it asks for one more.
    const skipShard = range.skip === undefined ? -1 : shardIndex(range.skip.slice(16), this.shardCount);
    // One shard refused (after its retries) is a 503: the other shards' queries (and retries) stop.
    const shardsSignal = new AbortController();
    // One listener per shard query (the SDK's): more than Node's default warning threshold of 10.
    setMaxListeners(this.shardCount + 1, shardsSignal.signal);
    const forward = () => shardsSignal.abort(abortSignal?.reason);
    abortSignal?.addEventListener('abort', forward, { once: true });
    let shards: ShardAnswer[];
    try {
      shards = await Promise.all(
        Array.from({ length: this.shardCount }, (_, n) =>
          this.shardTop(`${query.status}#${n}`, range, query.limit, n === skipShard ? 1 : 0, shardsSignal.signal).catch(
            (error: unknown) => {
              shardsSignal.abort();
              throw error;
            },
          ),
        ),
      );
    } finally {
      abortSignal?.removeEventListener('abort', forward);
    }
    const merged = mergeNewestFirst(
      shards.map((shard) => shard.records),
      query.limit + 1,
    );
    const records = merged.slice(0, query.limit);
    const cut = merged.length > query.limit || shards.some((shard) => shard.more);
    return cut && records.length > 0 ? { records, nextKey: records[records.length - 1].updated_key } : { records };
  }

  /**
   * A shard's first `limit` records of the range, newest first; `more`: it may hold others (it gave
   * `limit` records, or DynamoDB said there is more). One Query, unless DynamoDB cuts a page short
   * (its 1 MB page limit): then it continues until `limit` or the end.
   */
  private async shardTop(
    shard: string,
    range: KeyRange,
    limit: number,
    extra: number,
    abortSignal: AbortSignal,
  ): Promise<ShardAnswer> {
    const names: Record<string, string> = { '#shard': TRACKING_TABLE.statusIndex.hashKey, ...LISTING_PROJECTION.names };
    const values: Record<string, string> = { ':shard': shard };
    let condition = '#shard = :shard';
    if (range.lower !== undefined || range.upper !== undefined) names['#key'] = TRACKING_TABLE.statusIndex.rangeKey;
    if (range.lower !== undefined) values[':lower'] = range.lower;
    if (range.upper !== undefined) values[':upper'] = range.upper;
    if (range.lower !== undefined && range.upper !== undefined) condition += ' AND #key BETWEEN :lower AND :upper';
    else if (range.lower !== undefined) condition += ' AND #key >= :lower';
    else if (range.upper !== undefined) condition += ' AND #key < :upper';

    const records: ListedState[] = [];
    let start: Record<string, unknown> | undefined;
    let want = limit + extra;
    try {
      do {
        const answer = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TRACKING_TABLE.statusIndex.name,
            KeyConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // Only what the page shows and the cursor needs: fewer attributes to send and unmarshall.
            ProjectionExpression: LISTING_PROJECTION.expression,
            Limit: want,
            ExclusiveStartKey: start,
          }),
          { abortSignal },
        );
        for (const item of (answer.Items ?? []) as ListedState[]) {
          if (item.updated_key !== range.skip) records.push(item);
        }
        start = answer.LastEvaluatedKey;
        want = limit - records.length;
      } while (start !== undefined && records.length < limit);
    } catch (error) {
      throw readFailure(error);
    }
    return { records, more: start !== undefined || records.length >= limit };
  }
}
