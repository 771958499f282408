import { createRequire } from 'node:module'

/**
 * A CommonJS package loaded the first time it is used instead of when the server starts: most requests
 * never need it, and loading every package up front made start-up several times slower than a bare node
 * process and kept their code resident (docs/performance.md, "Start-up"). Node's module cache makes it one load.
 */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined
  return () => {
    loaded ??= createRequire(import.meta.url)(specifier) as T
    return loaded
  }
}

/** A value made the first time it is asked for (e.g. module paths a worker thread needs, resolved when it first starts). */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined
  return () => {
    made ??= { value: make() }
    return made.value
  }
}
