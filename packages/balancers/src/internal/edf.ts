/** Earliest-deadline-first scheduling (Envoy `EdfScheduler`) for the weighted policies. */

/**
 * Earliest-deadline-first scheduler (Envoy `EdfScheduler`): each entry is due every
 * `1 / weight`; the entry with the earliest deadline is picked, ties go to the lower
 * `order`. With integer weights that never change, deadlines are computed as
 * `base + k / weight` rather than by repeated addition, so every window of Σweight picks
 * contains each entry exactly `weight` times.
 */
export interface EdfEntry {
  deadline: number;
  weight: number;
  base: number;
  k: number;
  readonly order: number;
}

export function edfEntry(order: number, weight: number, start: number): EdfEntry {
  return { deadline: start + 1 / weight, weight, base: start, k: 1, order };
}

function less(a: EdfEntry, b: EdfEntry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
}

/** Turns `heap` into a binary min-heap in place. */
export function heapify(heap: EdfEntry[]): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);
}

/** The earliest entry (the heap must not be empty). */
export function peek(heap: readonly EdfEntry[]): EdfEntry {
  return heap[0] as EdfEntry;
}

/**
 * Reschedules the earliest entry with `weight` (its weight for the next period) and restores
 * the heap. A weight ≤ 0 or non-finite is treated as a tiny positive weight.
 */
export function advance(heap: EdfEntry[], weight: number): void {
  const e = heap[0] as EdfEntry;
  const w = weight > 0 && Number.isFinite(weight) ? weight : 1e-9;
  if (w === e.weight) {
    e.k++;
    e.deadline = e.base + e.k / w;
  } else {
    e.base = e.deadline;
    e.k = 1;
    e.weight = w;
    e.deadline = e.base + 1 / w;
  }
  siftDown(heap, 0);
}

function siftDown(heap: EdfEntry[], i: number): void {
  const n = heap.length;
  const x = heap[i] as EdfEntry;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    const r = c + 1;
    if (r < n && less(heap[r] as EdfEntry, heap[c] as EdfEntry)) c = r;
    const child = heap[c] as EdfEntry;
    if (!less(child, x)) break;
    heap[i] = child;
    i = c;
  }
  heap[i] = x;
}
