/** A small seeded PRNG (mulberry32): the same seed gives the same fuzz run, so a failure reproduces. */
export interface Rng {
  next(): number
  int(maxExclusive: number): number
  pick<T>(items: readonly T[]): T
  bool(probability?: number): boolean
  bytes(length: number): Buffer
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive)
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    bool: (probability = 0.5) => next() < probability,
    bytes: (length) => {
      const buf = Buffer.alloc(length)
      for (let i = 0; i < length; i++) buf[i] = int(256)
      return buf
    },
  }
}
