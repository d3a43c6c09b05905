// The batcher's contract (src/serve/batcher.ts): order, batch size limits, the timeout, drain, and failures that stay
// within their batch. Time is vitest's fake clock, so nothing here depends on how fast the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../src/serve/batcher.js';

interface Task {
  id: string;
  size: number;
}

/** A batcher over tasks of `size` items whose result is `id` upper-cased; records every batch it ran. */
function recordingBatcher(options: { maxBatchSize: number; timeoutMs: number; fail?: (ids: string[]) => boolean }) {
  const batches: string[][] = [];
  const batcher = new Batcher<Task, string>({
    ...options,
    size: (t) => t.size,
    run: (tasks) => {
      const ids = tasks.map((t) => t.id);
      batches.push(ids);
      if (options.fail?.(ids)) throw new Error(`batch ${ids.join(',')} failed`);
      return ids.map((id) => id.toUpperCase());
    },
  });
  return { batcher, batches };
}

const task = (id: string, size = 1): Task => ({ id, size });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher', () => {
  it('runs queued tasks together in arrival order, and gives each task its own result', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 3, timeoutMs: 10 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.submit(task(id)));
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('counts items, not tasks, against maxBatchSize; a task larger than it runs alone', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 4, timeoutMs: 10 });
    const results = [task('a', 2), task('b', 2), task('c', 3), task('big', 9), task('d', 1)].map((t) => batcher.submit(t));
    await vi.runAllTimersAsync();
    await Promise.all(results);
    expect(batches).toEqual([['a', 'b'], ['c'], ['big'], ['d']]);
    expect(batcher.stats).toEqual({ batches: 4, items: 17, largest: 9 });
  });

  it('runs a full batch at once, without waiting for the timeout', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 2, timeoutMs: 1000 });
    const results = [batcher.submit(task('a')), batcher.submit(task('b'))];
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b']]);
    expect(await Promise.all(results)).toEqual(['A', 'B']);
  });

  it('waits at most timeoutMs from the first task of a batch that is not full', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 8, timeoutMs: 50 });
    const a = batcher.submit(task('a'));
    await vi.advanceTimersByTimeAsync(30);
    const b = batcher.submit(task('b'));
    await vi.advanceTimersByTimeAsync(19);
    expect(batches).toEqual([]);
    // 50 ms after 'a' arrived (20 ms after 'b'), both run.
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a', 'b']]);
    expect(await Promise.all([a, b])).toEqual(['A', 'B']);
  });

  it('with timeout 0, batches only what arrived before the next turn of the event loop', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 8, timeoutMs: 0 });
    const first = [batcher.submit(task('a')), batcher.submit(task('b'))];
    await vi.advanceTimersByTimeAsync(0);
    const later = batcher.submit(task('c'));
    await vi.runAllTimersAsync();
    await Promise.all([...first, later]);
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  it('runs one batch at a time: tasks arriving while one runs form the next batch', async () => {
    let release!: () => void;
    const running: string[][] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const batcher = new Batcher<string, string>({
      maxBatchSize: 10,
      timeoutMs: 0,
      run: async (ids) => {
        running.push(ids);
        maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        if (running.length === 1) await new Promise<void>((r) => (release = r));
        concurrent--;
        return ids;
      },
    });
    const first = batcher.submit('a');
    await vi.advanceTimersByTimeAsync(0);
    const second = [batcher.submit('b'), batcher.submit('c')];
    await vi.advanceTimersByTimeAsync(100);
    expect(running).toEqual([['a']]);
    release();
    await vi.runAllTimersAsync();
    expect(await Promise.all([first, ...second])).toEqual(['a', 'b', 'c']);
    expect(running).toEqual([['a'], ['b', 'c']]);
    expect(maxConcurrent).toBe(1);
  });

  it('an error fails only the tasks of its batch; later batches run', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 2, timeoutMs: 5, fail: (ids) => ids.includes('bad') });
    const results = ['a', 'b', 'bad', 'c', 'd', 'e'].map((id) => batcher.submit(task(id)).then(String, (e: Error) => e.message));
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual(['A', 'B', 'batch bad,c failed', 'batch bad,c failed', 'D', 'E']);
    expect(batches).toHaveLength(3);
  });

  it('a run returning the wrong number of results rejects its batch instead of mismatching results', async () => {
    const batcher = new Batcher<string, string>({ maxBatchSize: 2, timeoutMs: 0, run: (ids) => ids.slice(1) });
    const results = [batcher.submit('a'), batcher.submit('b')].map((p) => p.catch((e: Error) => e.message));
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual([
      'the batch function returned 1 results for 2 tasks',
      'the batch function returned 1 results for 2 tasks',
    ]);
  });

  it('drain runs what is queued without waiting for the timeout and resolves once idle', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 2, timeoutMs: 60_000 });
    const results = ['a', 'b', 'c'].map((id) => batcher.submit(task(id)));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b']]);
    let drained = false;
    const drain = batcher.drain().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(0);
    await drain;
    expect(drained).toBe(true);
    expect(batches).toEqual([['a', 'b'], ['c']]);
    expect(await Promise.all(results)).toEqual(['A', 'B', 'C']);
    expect(batcher.pending).toBe(0);
    // After drain, a new task runs at once.
    const late = batcher.submit(task('d'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await late).toBe('D');
  });

  it('refuses a maxBatchSize below 1 and a negative timeout', () => {
    const run = (ids: string[]) => ids;
    expect(() => new Batcher({ maxBatchSize: 0, timeoutMs: 0, run })).toThrow(/maxBatchSize/);
    expect(() => new Batcher({ maxBatchSize: 1, timeoutMs: -1, run })).toThrow(/timeoutMs/);
  });
});
