import { AnomalyCounter, ErrorCode, type AnomalySummary, type LogEvent } from "@tickscope/core";

/** Options of {@link TimeOrderedLog}. */
export interface TimeOrderedLogOptions {
  /**
   * Events held back to put a log back in time order (a min-heap): an event may
   * arrive up to this many events after later ones and still be merged in
   * order. Later than that it is delivered late and counted as
   * `E_LOG_OUT_OF_ORDER`. Default 4,096.
   */
  reorderWindow?: number;
  /** Time-ordered events read ahead of the packets (refilled between capture chunks). Default 8,192. */
  lookahead?: number;
}

/** Default {@link TimeOrderedLogOptions.reorderWindow}. */
export const DEFAULT_LOG_REORDER_WINDOW = 4096;
/** Default {@link TimeOrderedLogOptions.lookahead}. */
export const DEFAULT_LOG_LOOKAHEAD = 8192;

/** Receives one log event in merged order. */
export type LogEventHandler = (event: LogEvent) => void;

/**
 * A game-server log merged in time order with bounded memory: events are read
 * from a stream (file order), put back in time order through a bounded
 * reorder window, and handed out up to a given time. At most
 * `reorderWindow + lookahead` events are held, however long the log is.
 *
 * Delivery is synchronous from the read-ahead ({@link deliverUntil}, called
 * per packet) with an asynchronous top-up between capture chunks
 * ({@link refill}, {@link deliverThrough}). Ties keep file order.
 */
export class TimeOrderedLog {
  /** Out-of-order events, by code (`E_LOG_OUT_OF_ORDER`, with the event's log line). */
  readonly anomalies = new AnomalyCounter();
  /** Events handed out so far. */
  delivered = 0;
  private readonly iterator: AsyncIterator<LogEvent> | Iterator<LogEvent>;
  private readonly reorderWindow: number;
  private readonly lookahead: number;
  private readonly heap: LogEvent[] = [];
  private readonly heapOrder: number[] = [];
  private ready: LogEvent[] = [];
  private readyStart = 0;
  private sourceDone = false;
  private readCount = 0;
  private lastReleasedUs = Number.NEGATIVE_INFINITY;

  constructor(events: AsyncIterable<LogEvent> | Iterable<LogEvent>, options: TimeOrderedLogOptions = {}) {
    this.iterator = Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : (events as Iterable<LogEvent>)[Symbol.iterator]();
    this.reorderWindow = Math.max(0, Math.floor(options.reorderWindow ?? DEFAULT_LOG_REORDER_WINDOW));
    this.lookahead = Math.max(1, Math.floor(options.lookahead ?? DEFAULT_LOG_LOOKAHEAD));
  }

  /** True once every event has been handed out. */
  get finished(): boolean {
    return this.sourceDone && this.heap.length === 0 && this.readyStart >= this.ready.length;
  }

  /** Events currently held (reorder window + read-ahead): the memory bound. */
  get heldEvents(): number {
    return this.heap.length + this.ready.length - this.readyStart;
  }

  /** Anomaly counts (codes sorted). */
  anomalyCounts(): Record<string, number> {
    return this.anomalies.toCounts();
  }

  /** Anomalies with example log lines. */
  anomalySummary(): AnomalySummary {
    return this.anomalies.toSummary();
  }

  /**
   * Hands out the read-ahead events with a time ≤ `untilUs`, synchronously.
   * Returns false when the read-ahead ran dry before the log could show that
   * no more such events follow: the caller must wait for {@link deliverThrough}
   * before going past `untilUs`.
   */
  deliverUntil(untilUs: number, deliver: LogEventHandler): boolean {
    const ready = this.ready;
    while (this.readyStart < ready.length) {
      const event = ready[this.readyStart];
      if (event.tUs > untilUs) return true;
      ready[this.readyStart++] = undefined as unknown as LogEvent;
      this.delivered += 1;
      deliver(event);
    }
    return this.sourceDone && this.heap.length === 0;
  }

  /** Hands out every event with a time ≤ `untilUs`, reading the log as far as needed (bounded memory). */
  async deliverThrough(untilUs: number, deliver: LogEventHandler): Promise<void> {
    while (!this.deliverUntil(untilUs, deliver)) await this.readBatch();
  }

  /** Tops the read-ahead up to `lookahead` events (or the end of the log). */
  async refill(): Promise<void> {
    while (this.ready.length - this.readyStart < this.lookahead && !(this.sourceDone && this.heap.length === 0)) await this.readBatch();
  }

  /** Reads up to `lookahead` events through the reorder window into the read-ahead. */
  private async readBatch(): Promise<void> {
    if (this.readyStart > 0) {
      this.ready = this.ready.slice(this.readyStart);
      this.readyStart = 0;
    }
    const target = this.ready.length + this.lookahead;
    while (this.ready.length < target) {
      if (this.sourceDone) {
        if (this.heap.length === 0) return;
        this.release();
        continue;
      }
      const next = await this.iterator.next();
      if (next.done === true) {
        this.sourceDone = true;
        continue;
      }
      this.push(next.value, this.readCount++);
      if (this.heap.length > this.reorderWindow) this.release();
    }
  }

  /** Moves the earliest held event to the read-ahead; one earlier than an event already released is out of order. */
  private release(): void {
    const event = this.pop();
    if (event.tUs < this.lastReleasedUs) this.anomalies.add(ErrorCode.logOutOfOrder, event.line);
    else if (event.tUs > this.lastReleasedUs) this.lastReleasedUs = event.tUs; // a NaN time never moves the mark
    this.ready.push(event);
  }

  private less(left: number, right: number): boolean {
    const leftUs = this.heap[left].tUs;
    const rightUs = this.heap[right].tUs;
    // NaN-free by construction (the reader drops events without a valid time); ties keep file order
    return leftUs < rightUs || (leftUs === rightUs && this.heapOrder[left] < this.heapOrder[right]);
  }

  private swap(left: number, right: number): void {
    const event = this.heap[left];
    this.heap[left] = this.heap[right];
    this.heap[right] = event;
    const order = this.heapOrder[left];
    this.heapOrder[left] = this.heapOrder[right];
    this.heapOrder[right] = order;
  }

  private push(event: LogEvent, order: number): void {
    this.heap.push(event);
    this.heapOrder.push(order);
    let index = this.heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private pop(): LogEvent {
    const top = this.heap[0];
    const lastEvent = this.heap.pop()!;
    const lastOrder = this.heapOrder.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = lastEvent;
      this.heapOrder[0] = lastOrder;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.heap.length && this.less(left, smallest)) smallest = left;
        if (right < this.heap.length && this.less(right, smallest)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return top;
  }
}
