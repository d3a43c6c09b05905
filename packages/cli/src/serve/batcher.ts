/**
 * Request batching for one model, as TensorFlow Serving batches: concurrent requests are queued and run through the
 * model together, which costs little more than running one of them (the kernels are as fast on 32 rows as on 1).
 *
 * Contract:
 * - `submit(task)` queues a task of `size(task)` items and resolves with that task's own result, whatever else ran
 *   beside it.
 * - Tasks run in arrival order. A batch is the longest run of queued tasks from the front whose items add up to at most
 *   `maxBatchSize`; a task larger than that runs as a batch of its own (it is never split, nor refused).
 * - A batch runs as soon as the queue holds `maxBatchSize` items, or `timeoutMs` after its first task arrived, whichever
 *   comes first (TF Serving's `max_batch_size` and `batch_timeout_micros`); `timeoutMs` 0 waits for nothing but the
 *   requests already received (the next turn of the event loop).
 * - One batch runs at a time: each holds all the cores while it runs, and the next one fills up meanwhile.
 * - `run(tasks)` returns one result per task, in order. When it throws (or returns another count), every task of that
 *   batch rejects with the error, and no task of another batch: validate each task before submitting it, so that one
 *   bad request cannot fail the others.
 * - `drain()` runs everything queued at once, from then on without waiting for the timeout, and resolves once nothing is
 *   queued or running (for shutting down).
 */
export interface BatcherOptions<T, R> {
  /** Most items one batch holds, ≥ 1. */
  maxBatchSize: number;
  /** Longest wait, in ms from its first task's arrival, before a batch that is not full runs; ≥ 0. */
  timeoutMs: number;
  /** How many items (model instances) a task carries; 1 when omitted. */
  size?: (task: T) => number;
  /** Runs one batch: one result per task, in order. */
  run: (tasks: T[]) => R[] | Promise<R[]>;
}

interface Queued<T, R> {
  task: T;
  size: number;
  arrivedAt: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class Batcher<T, R> {
  private readonly queue: Queued<T, R>[] = [];
  private queuedItems = 0;
  private running = false;
  private draining = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Batches run so far and their sizes in items, for logs and tests. */
  readonly stats = { batches: 0, items: 0, largest: 0 };

  constructor(private readonly options: BatcherOptions<T, R>) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1)
      throw new RangeError(`maxBatchSize must be a whole number ≥ 1, got ${options.maxBatchSize}`);
    if (!(options.timeoutMs >= 0)) throw new RangeError(`timeoutMs must be ≥ 0, got ${options.timeoutMs}`);
  }

  /** Queues `task`; resolves with its result, or rejects with the error of the batch it ran in. */
  submit(task: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const size = this.options.size?.(task) ?? 1;
      this.queue.push({ task, size, arrivedAt: performance.now(), resolve, reject });
      this.queuedItems += size;
      this.schedule();
    });
  }

  /** Tasks waiting for a batch (not counting the one running). */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs what is queued without waiting for the timeout; resolves once nothing is queued or running. */
  drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0]!.arrivedAt;
    const due = this.options.timeoutMs > 0 && waited >= this.options.timeoutMs;
    if (this.draining || this.queuedItems >= this.options.maxBatchSize || due) {
      this.clearTimer();
      void this.runBatch();
      return;
    }
    if (this.timer !== undefined) return;
    // Only set while no batch runs (a batch starting clears it), so when it fires the batch is due.
    const fire = () => {
      this.timer = undefined;
      if (!this.running && this.queue.length > 0) void this.runBatch();
    };
    // A timeout of 0 still lets the requests already received join: they are read in this turn of the event loop.
    const remaining = this.options.timeoutMs - waited;
    this.timer = this.options.timeoutMs === 0 ? setImmediate(fire) : setTimeout(fire, remaining);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    if (this.options.timeoutMs === 0) clearImmediate(this.timer as NodeJS.Immediate);
    else clearTimeout(this.timer as NodeJS.Timeout);
    this.timer = undefined;
  }

  private async runBatch(): Promise<void> {
    const batch: Queued<T, R>[] = [];
    let items = 0;
    while (this.queue.length > 0 && (batch.length === 0 || items + this.queue[0]!.size <= this.options.maxBatchSize)) {
      const next = this.queue.shift()!;
      items += next.size;
      batch.push(next);
    }
    this.queuedItems -= items;
    this.running = true;
    this.stats.batches++;
    this.stats.items += items;
    this.stats.largest = Math.max(this.stats.largest, items);
    try {
      const results = await this.options.run(batch.map((q) => q.task));
      if (results.length !== batch.length)
        throw new Error(`the batch function returned ${results.length} results for ${batch.length} tasks`);
      batch.forEach((q, i) => q.resolve(results[i]!));
    } catch (error) {
      for (const q of batch) q.reject(error);
    } finally {
      this.running = false;
      this.schedule();
      if (!this.running && this.queue.length === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }
}
