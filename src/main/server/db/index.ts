export type { Db, Reader, Connection, SqlParams, Migration } from './types'
export { openDb, runMigrations, type OpenDbOptions } from './open'
export { MIGRATIONS } from './migrations'
