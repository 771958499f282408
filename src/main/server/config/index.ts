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
export { SETTINGS, SETTING_NAMES, type SettingName, type SettingSpec } from './settings'
export { checkConsoleEdits, type ConsoleConfirmation, type ConsoleEditCheck, type ConsoleEditContext } from './console-edits'
