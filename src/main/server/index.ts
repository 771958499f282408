export { createServer, type StarpunkServer, type CreateServerOptions } from './create-server'
export type { ServerContext } from './context'
export { loadConfig, type Config, type LoadedConfig } from './config'
