export type { Config, LogFormat, SearchEngineChoice } from './types'
export {
  loadConfig,
  validateConfigValues,
  saveConfigFile,
  SECRET_MASK,
  CONFIG_FILE_NAME,
  SECRET_FILE_NAME,
  type LoadConfigOptions,
  type LoadedConfig,
  type SaveConfigResult,
} from './load'
export { SETTINGS, SETTING_NAMES, defaultsOf, type ConfigPath, type SettingName, type SettingSpec } from './settings'
export { consoleFields, type FieldSources } from './fields'
export { checkConsoleEdits, type ConsoleConfirmation, type ConsoleEditCheck, type ConsoleEditContext } from './console-edits'
