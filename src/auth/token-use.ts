import type { TokenStore } from './token-store';

/**
 * Records when a personal access token last authenticated, for its owner's token list, off
 * the request path: the write is never awaited, and each process writes a token's use at most
 * once a minute, so a client pulling layer after layer costs Redis nothing more. "Last used"
 * is therefore exact to within a minute, per process.
 */
export const USE_RECORD_INTERVAL_MS = 60_000;

// Past this many tokens the memo starts afresh: at worst one more write per token.
const MEMO_ENTRIES = 10_000;

export interface TokenUseOptions {
  /** Called with a failed write; a lost "last used" date is not worth failing a request. */
  readonly onFailure?: (error: unknown, tokenId: string) => void;
  readonly now?: () => number;
}

export class TokenUseRecorder {
  private readonly recorded = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<TokenStore, 'recordUse'>,
    private readonly options: TokenUseOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Notes that the token of this id just authenticated; returns at once. */
  record(tokenId: string): void {
    const now = this.now();
    const last = this.recorded.get(tokenId);
    if (last !== undefined && now - last < USE_RECORD_INTERVAL_MS) return;

    // Remembered before the write, so requests arriving meanwhile do not write again.
    if (this.recorded.size >= MEMO_ENTRIES) this.recorded.clear();
    this.recorded.set(tokenId, now);
    this.store
      .recordUse(tokenId)
      .catch((error: unknown) => this.options.onFailure?.(error, tokenId));
  }
}
