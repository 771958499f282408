// Request helpers shared by the routers.
export { stringParam, wholeNumberParam, type WholeNumberOptions } from './query'
