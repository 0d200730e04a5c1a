/**
 * The local DynamoDB stream of one table: what DynamoDB Streams keeps for it, as an ordered,
 * in-memory log of stream records in the shape Lambda delivers them (`Records[]` of a DynamoDB
 * event). dynalite has no streams; the DynamoDB front (dynamodb.ts) appends a record for every
 * write that changed an item, with the item's images read before and after it.
 *
 * One shard, no retention limit, no resharding: records are never trimmed, and a reader can start
 * at the trim horizon (the first record) or after any sequence number it has seen. Sequence numbers
 * are numeric strings of one width, increasing with every record (as in DynamoDB, they are not
 * consecutive in meaning: compare them, do not do arithmetic on them). Records are frozen: a
 * consumer cannot change what the next one reads.
 */
import { randomBytes } from 'crypto';

/** One DynamoDB attribute value in DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `{"M": {...}}`, ...). */
type AttributeValue = Record<string, unknown>;
/** An item, a key or an image: attribute name -> DynamoDB JSON value. */
export type AttributeMap = Record<string, AttributeValue>;

export type StreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/** One stream record, as DynamoDB Streams gives it to Lambda (a `DynamoDBRecord` of @types/aws-lambda). */
export interface StreamRecord {
  eventID: string;
  eventName: StreamEventName;
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    /** When the change was made, in whole seconds since the epoch. */
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
  eventSourceARN: string;
}

/** A change to append: the item's key and its images before and after the write. */
export interface ItemChange {
  keys: AttributeMap;
  oldImage?: AttributeMap;
  newImage?: AttributeMap;
}

/** What the event source mapping needs from a stream (LocalStream is one). */
export interface StreamSource {
  readonly streamArn: string;
  readonly shardId: string;
  /** Records after `after` (a sequence number; omitted = from the trim horizon), oldest first, at most `limit`. */
  read(options?: { after?: string; limit?: number }): StreamRecord[];
  /** The newest record's sequence number; undefined while the stream is empty. */
  latestSequenceNumber(): string | undefined;
  /** Called (synchronously) with every record appended from now on; returns the unsubscribe function. */
  subscribe(listener: (record: StreamRecord) => void): () => void;
}

export interface LocalStreamOptions {
  tableName: string;
  region: string;
  accountId: string;
  /** Default NEW_AND_OLD_IMAGES (the tracking table's). */
  viewType?: StreamViewType;
  /** The clock (ms since the epoch) for ApproximateCreationDateTime and the stream label; default Date.now. */
  now?: () => number;
}

/** Sequence numbers are this plus the record's position: 21 digits, so string order is numeric order. */
const SEQUENCE_BASE = 10n ** 20n;

/** Whether a change changed anything: DynamoDB writes no stream record for a write that did not. */
export function eventNameOf(change: Pick<ItemChange, 'oldImage' | 'newImage'>): StreamEventName | undefined {
  const { oldImage, newImage } = change;
  if (!oldImage && !newImage) return undefined;
  if (!oldImage) return 'INSERT';
  if (!newImage) return 'REMOVE';
  return canonical(oldImage) === canonical(newImage) ? undefined : 'MODIFY';
}

/** A DynamoDB number as `[-]0.<digits>e<exponent>`, equal for equal numbers ("1.50", "1.5", "15e-1"). */
function normaliseNumber(n: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim());
  if (!match || `${match[2]}${match[3] ?? ''}` === '') return n;
  const [, sign, int, frac = '', exp = '0'] = match;
  // value = 0.<digits> x 10^point
  const all = `${int}${frac}`;
  const digits = all.replace(/^0+/, '');
  const point = int.length + Number(exp) - (all.length - digits.length);
  const significant = digits.replace(/0+$/, '');
  return significant ? `${sign === '-' ? '-' : ''}0.${significant}e${point}` : '0';
}

/**
 * A value as a string that is equal for equal DynamoDB values: map keys sorted, set members sorted
 * (a set has no order), numbers normalised ("1.50" and "1.5" are one number).
 */
export function canonical(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(
      entries.map(([k, x]) => {
        if (k === 'N' && typeof x === 'string') return [k, normaliseNumber(x)];
        if (k === 'NS' && Array.isArray(x)) return [k, x.map((n) => normaliseNumber(String(n))).sort()];
        if ((k === 'SS' || k === 'BS') && Array.isArray(x)) return [k, [...x].map(String).sort()];
        return [k, walk(x)];
      }),
    );
  };
  return JSON.stringify(walk(value));
}

/** DynamoDB's size of an attribute value in bytes (names in UTF-8, numbers about one byte per two digits). */
function valueSize(value: AttributeValue): number {
  const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
  const numberSize = (n: string) => Math.ceil(n.replace(/^[+-]|\.|[eE].*$/g, '').replace(/^0+/, '').length / 2) + 1;
  const binarySize = (b: unknown) => Buffer.from(String(b), 'base64').length;
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v));
    case 'N':
      return numberSize(String(v));
    case 'B':
      return binarySize(v);
    case 'SS':
      return (v as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (v as string[]).reduce((sum, n) => sum + numberSize(n), 0);
    case 'BS':
      return (v as string[]).reduce((sum, b) => sum + binarySize(b), 0);
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((sum, item) => sum + 1 + valueSize(item), 0);
    case 'M':
      return 3 + mapSize(v as AttributeMap, 1);
    default:
      return 1; // BOOL, NULL
  }
}

function mapSize(map: AttributeMap, perEntry = 0): number {
  return Object.entries(map).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + perEntry + valueSize(v), 0);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A stream label as DynamoDB writes it: the stream's creation time, ISO 8601 without the zone. */
const streamLabel = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');

export class LocalStream implements StreamSource {
  readonly tableName: string;
  readonly viewType: StreamViewType;
  readonly streamLabel: string;
  readonly streamArn: string;
  readonly region: string;
  /** The one shard (`shardId-<20 digits>-<8 hex>`, as DynamoDB names them). */
  readonly shardId: string;
  private readonly now: () => number;
  private readonly log: StreamRecord[] = [];
  private readonly listeners = new Set<(record: StreamRecord) => void>();

  constructor(options: LocalStreamOptions) {
    this.tableName = options.tableName;
    this.region = options.region;
    this.viewType = options.viewType ?? 'NEW_AND_OLD_IMAGES';
    this.now = options.now ?? Date.now;
    const createdAt = this.now();
    this.streamLabel = streamLabel(createdAt);
    this.streamArn = `arn:aws:dynamodb:${options.region}:${options.accountId}:table/${options.tableName}/stream/${this.streamLabel}`;
    this.shardId = `shardId-${String(createdAt).padStart(20, '0')}-${randomBytes(4).toString('hex')}`;
  }

  /**
   * Appends the record of one change (its event name from the images); none when nothing changed.
   * The images are copied: the caller may reuse what it passed.
   */
  append(change: ItemChange): StreamRecord | undefined {
    const eventName = eventNameOf(change);
    if (!eventName) return undefined;
    const withNew = this.viewType === 'NEW_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const withOld = this.viewType === 'OLD_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES';
    const Keys = clone(change.keys);
    const NewImage = withNew && change.newImage ? clone(change.newImage) : undefined;
    const OldImage = withOld && change.oldImage ? clone(change.oldImage) : undefined;
    const record: StreamRecord = {
      eventID: randomBytes(16).toString('hex'),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(this.now() / 1000),
        Keys,
        ...(NewImage ? { NewImage } : {}),
        ...(OldImage ? { OldImage } : {}),
        SequenceNumber: (SEQUENCE_BASE + BigInt(this.log.length + 1)).toString(),
        SizeBytes: mapSize(Keys) + (NewImage ? mapSize(NewImage) : 0) + (OldImage ? mapSize(OldImage) : 0),
        StreamViewType: this.viewType,
      },
      eventSourceARN: this.streamArn,
    };
    this.log.push(deepFreeze(record));
    for (const listener of [...this.listeners]) listener(record);
    return record;
  }

  /** Every record so far, oldest first. */
  records(): readonly StreamRecord[] {
    return [...this.log];
  }

  get length(): number {
    return this.log.length;
  }

  read(options: { after?: string; limit?: number } = {}): StreamRecord[] {
    let start = 0;
    if (options.after !== undefined) {
      if (!/^\d+$/.test(options.after)) throw new Error(`not a sequence number: ${JSON.stringify(options.after)}`);
      const after = BigInt(options.after);
      // Records are in sequence order: the first one after `after`.
      let lo = 0;
      let hi = this.log.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (BigInt(this.log[mid].dynamodb.SequenceNumber) <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const end = options.limit === undefined ? this.log.length : Math.min(this.log.length, start + options.limit);
    return this.log.slice(start, end);
  }

  latestSequenceNumber(): string | undefined {
    return this.log.at(-1)?.dynamodb.SequenceNumber;
  }

  subscribe(listener: (record: StreamRecord) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
