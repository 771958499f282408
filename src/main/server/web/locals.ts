import type { AdminSession } from '../auth/types'

// What middleware puts on res.locals, typed once for every route.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string
      /** The admin session, or null for visitors. Set by the auth middleware on every request. */
      session: AdminSession | null
    }
  }
}

export {}
