/** Epoch ms. Injected so tests drive timeouts without sleeping. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
