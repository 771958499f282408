export type { Config, LogFormat, SearchEngineChoice } from './types'
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './load'
