import { ShortMemo } from '../../src/state/short-memo';

describe('the short memo', () => {
  it('keeps an answer for its lifetime and not a moment longer', () => {
    let now = 1_000;
    const memo = new ShortMemo<string>(1_000, 10, () => now);

    memo.set('key', 'answer');
    const fresh = memo.get('key');
    now += 999;
    const lastMoment = memo.get('key');
    now += 1;

    expect([fresh, lastMoment, memo.get('key')]).toEqual(['answer', 'answer', undefined]);
  });

  it('empties itself rather than grow past its bound', () => {
    const memo = new ShortMemo<number>(1_000, 2);

    memo.set('a', 1);
    memo.set('b', 2);
    memo.set('c', 3);

    expect([memo.get('a'), memo.get('b'), memo.get('c')]).toEqual([undefined, undefined, 3]);
  });

  it('forgets a key at once when told to, and keeps the others', () => {
    const memo = new ShortMemo<number>(1_000, 10);
    memo.set('a', 1);
    memo.set('b', 2);

    memo.delete('a');

    expect([memo.get('a'), memo.get('b')]).toEqual([undefined, 2]);
  });

  it('remembers nothing with a lifetime of zero', () => {
    const memo = new ShortMemo<number>(0, 10);

    memo.set('a', 1);

    expect(memo.get('a')).toBeUndefined();
  });
});
