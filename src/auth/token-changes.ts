import type { KeyTracker } from '../state/key-tracking';
import { TOKEN_ID_PREFIX } from './token-store';

/**
 * What Redis tells a replica of its tokens: a revoke or an expiry deletes the token's id key,
 * and the key tracker hears of it before Redis acknowledges the deletion. A memory of token
 * records or token liveness listens here, and keeps a read only if no change was heard while
 * it was being read (`mark`, then `unchangedSince`): an answer read across a revoke may be
 * the old one.
 */
export class TokenChanges {
  private heard = 0;

  /**
   * `onChange` hears the ids of changed tokens, or `null` for "forget every token": tracking
   * was lost, or is being set up again.
   */
  constructor(
    private readonly tracker: KeyTracker | undefined,
    onChange: (tokenIds: readonly string[] | null) => void,
  ) {
    tracker?.onInvalidate((keys) => {
      this.heard += 1;
      if (keys === null) return onChange(null);
      const ids = keys.filter((key) => key.startsWith(TOKEN_ID_PREFIX));
      if (ids.length > 0) onChange(ids.map((key) => key.slice(TOKEN_ID_PREFIX.length)));
    });
  }

  /** Whether Redis tells of every change now: without it, nothing may be kept past its read. */
  get trusted(): boolean {
    return this.tracker?.trusted === true;
  }

  /** Where the changes stand, before a read. */
  mark(): number {
    return this.heard;
  }

  /** Whether no change was heard since `mark`, so the read may be kept. */
  unchangedSince(mark: number): boolean {
    return this.heard === mark;
  }
}
