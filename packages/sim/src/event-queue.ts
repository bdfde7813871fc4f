/** An item of the {@link EventQueue}: its time and a tie-breaking order are assigned on push. */
export interface QueuedEvent {
  /** Event time, µs. */
  tUs: number;
  /** Insertion order (ties at equal time pop in insertion order: deterministic). */
  order: number;
}

/** A binary min-heap of events ordered by (time, insertion order). */
export class EventQueue<Event extends QueuedEvent> {
  private readonly heap: Event[] = [];
  private counter = 0;

  /** Number of queued events. */
  get size(): number {
    return this.heap.length;
  }

  /** Adds `event` at time `tUs`. */
  push(event: Event, tUs: number): void {
    event.tUs = tUs;
    event.order = this.counter++;
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentEvent = heap[parent];
      if (parentEvent.tUs < tUs || (parentEvent.tUs === tUs && parentEvent.order < event.order)) break;
      heap[index] = parentEvent;
      index = parent;
    }
    heap[index] = event;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0].tUs;
  }

  /** Removes and returns the earliest event. */
  pop(): Event | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop() as Event;
    const length = heap.length;
    if (length > 0) {
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        if (left >= length) break;
        const right = left + 1;
        let child = left;
        if (right < length && before(heap[right], heap[left])) child = right;
        if (!before(heap[child], last)) break;
        heap[index] = heap[child];
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.tUs < b.tUs || (a.tUs === b.tUs && a.order < b.order);
}
