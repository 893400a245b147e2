/** A part built on first use and then kept; a build that throws is tried again on the next use. */
export interface Once<T> {
  (): T;
  /** The part if it was built, without building it (what `close` closes). */
  built(): T | undefined;
}

export function once<T>(build: () => T): Once<T> {
  let value: { part: T } | undefined;
  const get = (): T => (value ??= { part: build() }).part;
  return Object.assign(get, { built: () => value?.part });
}
