/**
 * Runs calls with at most `limit` in flight, in order, like Service Bus sessions do for one key: a call
 * starts only after every earlier call sharing one of its keys (rows it writes or parents it binds to)
 * has finished. Repeats of a row therefore wait for the call that writes it first, instead of racing it
 * and hitting a parent that is not there yet.
 */
export async function runKeyOrdered<T, R>(
  items: readonly T[],
  keysOf: (item: T) => Iterable<string>,
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const lastOwner = new Map<string, number>();
  const deps = items.map((item, i) => {
    const before = new Set<number>();
    for (const k of keysOf(item)) {
      const owner = lastOwner.get(k);
      if (owner !== undefined && owner !== i) before.add(owner);
      lastOwner.set(k, i);
    }
    return before;
  });
  const done = new Array<boolean>(items.length).fill(false);
  const started = new Array<boolean>(items.length).fill(false);
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  return new Promise<R[]>((resolve, reject) => {
    let finished = 0;
    const pump = (): void => {
      if (failure) {
        if (inFlight === 0) reject(failure.error);
        return;
      }
      if (finished === items.length) return resolve(results);
      for (let i = 0; i < items.length && inFlight < limit; i++) {
        if (started[i] || [...deps[i]].some((d) => !done[d])) continue;
        started[i] = true;
        inFlight++;
        fn(items[i]).then(
          (r) => {
            results[i] = r;
            done[i] = true;
            finished++;
            inFlight--;
            pump();
          },
          (error) => {
            failure ??= { error };
            inFlight--;
            pump();
          },
        );
      }
    };
    pump();
  });
}
