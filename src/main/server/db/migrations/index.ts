import type { Migration } from '../types'
import { migration001 } from './001_initial'
import { migration030 } from './030_search_documents'
import { migration031 } from './031_search_state'
import { migration032 } from './032_search_documents_source_index'
import { migration020 } from './020_auth_state_issuer'
import { migration040 } from './040_indieauth_token_refresh'
import { migration050 } from './050_webmention'
import { migration060 } from './060_media_variants'
import { migration070 } from './070_remote_media'
import { migration080 } from './080_post_types'
import { migration081 } from './081_webmention_outbox_linked'

/** Every migration, in order. Add new ones at the end with the next number; never edit an applied one. */
export const MIGRATIONS: Migration[] = [migration001, migration020, migration030, migration031, migration032, migration040, migration050, migration060, migration070, migration080, migration081]
