import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'winston';

import { redisTarget } from './redis-url';

/**
 * Word from Redis whenever a record under some key prefixes changes, so a replica may keep
 * what it read of them in memory and still never serve a stale answer: Redis's server-assisted
 * client-side caching ("Client-side caching reference", tracking in broadcasting mode). One
 * connection turns tracking on for the prefixes and redirects the invalidations to a second,
 * subscribed to `__redis__:invalidate` with RESP2, where ioredis hands them over as messages.
 *
 * Redis writes an invalidation to the subscriber before it replies to the write, so a change
 * acknowledged to one replica's client has been sent to every replica by then.
 *
 * While either connection is down, and until tracking is set up again, nothing is trusted:
 * listeners hear `null` (forget everything) and `trusted` stays false. Redis Cluster tracks
 * per node, which this does not follow, so there nothing is ever trusted.
 */
export type InvalidationListener = (keys: readonly string[] | null) => void;

// Subscribed connections speak RESP2 here: with RESP3, ioredis drops Redis's invalidate pushes.
const SUBSCRIBER: RedisOptions = {
  protocol: 2,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: false,
};
const TRACKER: RedisOptions = { maxRetriesPerRequest: 1, enableAutoPipelining: false };
const CHANNEL = '__redis__:invalidate';

// A subscriber whose connection died without a word (no RST) would miss invalidations for
// as long as the operating system takes to notice: it must answer a PING this often.
const HEARTBEAT_MS = 1_000;

function connect(url: string, options: RedisOptions): Redis | undefined {
  const target = redisTarget(url);
  if (target.kind === 'url') return new Redis(target.url, options);
  if (target.kind === 'sentinel') return new Redis({ ...target.options, ...options });
  return undefined;
}

export class KeyTracker {
  private readonly listeners: InvalidationListener[] = [];
  /** The subscriber's client name in Redis (`CLIENT LIST`), for operators and tests. */
  readonly name = `crgate-invalidations-${randomUUID()}`;
  private heartbeat: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;
  private tracker: Redis | undefined;
  /** Bumped whenever tracking is lost or set up again; a setup of an old epoch stands down. */
  private epoch = 0;
  private isTrusted = false;

  constructor(
    private readonly url: string,
    private readonly prefixes: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** Whether what was read since the last `null` is still true unless a listener heard otherwise. */
  get trusted(): boolean {
    return this.isTrusted;
  }

  onInvalidate(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.subscriber = connect(this.url, { ...SUBSCRIBER, connectionName: this.name });
    this.tracker = connect(this.url, TRACKER);
    if (!this.subscriber || !this.tracker) return;

    this.subscriber.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() === CHANNEL) this.invalidate(keys && keys.map(String));
    });
    for (const connection of [this.subscriber, this.tracker]) {
      connection.on('error', () => this.lost());
      connection.on('close', () => this.lost());
      connection.on('ready', () => void this.setUp());
    }
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    this.lost();
    this.subscriber?.disconnect();
    this.tracker?.disconnect();
  }

  /** Stops trusting, and reconnects, a subscriber that no longer answers. */
  private async beat(): Promise<void> {
    const { subscriber } = this;
    if (!this.isTrusted || !subscriber) return;
    const silent = new Promise<'silent'>((resolve) => {
      setTimeout(() => resolve('silent'), HEARTBEAT_MS).unref();
    });
    const answer = await Promise.race([subscriber.ping().catch(() => 'failed'), silent]);
    if (answer === 'failed' || answer === 'silent') {
      this.lost();
      subscriber.disconnect(true);
    }
  }

  private lost(): void {
    this.epoch += 1;
    if (!this.isTrusted) return;
    this.isTrusted = false;
    this.invalidate(null);
  }

  /** Subscribes, finds the subscriber's client id by its name, and redirects tracking to it. */
  private async setUp(): Promise<void> {
    const { subscriber, tracker } = this;
    if (subscriber?.status !== 'ready' || tracker?.status !== 'ready') return;
    this.lost();
    const epoch = this.epoch;
    try {
      await subscriber.subscribe(CHANNEL);
      const clients = String(await tracker.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const id = clients.split('\n').find((line) => line.includes(` name=${this.name} `));
      const clientId = id && /^id=(\d+)/.exec(id)?.[1];
      if (!clientId) throw new Error('the invalidation subscriber is not among the clients');
      const prefixes = this.prefixes.flatMap((prefix) => ['PREFIX', prefix]);
      // Off first: a tracker that reconnected alone still redirects to a subscriber gone.
      await tracker.call('CLIENT', 'TRACKING', 'OFF');
      await tracker.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', clientId, 'BCAST', ...prefixes);
    } catch (error) {
      this.logger.warn('redis key tracking not set up; records are read each time', {
        error: (error as Error).message,
      });
      return;
    }
    if (epoch !== this.epoch) return;
    this.isTrusted = true;
    this.invalidate(null);
  }

  private invalidate(keys: readonly string[] | null): void {
    for (const listener of this.listeners) listener(keys);
  }
}
