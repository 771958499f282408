/**
 * The console's view of the configuration (the Config panel, check-config): one field per setting, in table
 * order, with the value as text (secrets masked), its default, meaning and source. Derived from the settings
 * table only, so a new setting appears in the console without touching it.
 */
import type { ConfigField } from '../../../shared/contract'
import { allSettings, type SettingName } from './settings'
import type { Config } from './types'
import { getAt, type Origin } from './validate'

/** What a secret looks like wherever it is shown. */
export const SECRET_MASK = '********'

export interface FieldSources {
  config: Config
  /** Each setting's typed value (as given, or its default). */
  values: ReadonlyMap<SettingName, unknown>
  /** Where each set setting came from; the rest are defaults. */
  origins: ReadonlyMap<SettingName, Origin>
  /** The session secret came from the secret file in the data dir. */
  secretGenerated: boolean
}

export function consoleFields({ config, values, origins, secretGenerated }: FieldSources): ConfigField[] {
  return allSettings().map((setting) => {
    const name = setting.name as SettingName
    const text = setting.show ? setting.show(getAt(config, setting.path)) : setting.format(values.get(name))
    const source: ConfigField['source'] = name === 'STARPUNK_SESSION_SECRET' && secretGenerated ? 'generated' : (origins.get(name) ?? 'default')
    return {
      name,
      value: setting.secret && text !== '' ? SECRET_MASK : text,
      default: setting.defaultText,
      description: setting.description,
      secret: setting.secret,
      envOnly: setting.envOnly,
      source,
    }
  })
}
