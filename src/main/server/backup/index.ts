export { createBackup, restoreBackup, type BackupResult, type CreateBackupOptions, type Manifest, type RestoreOptions, type RestoreResult } from './archive'
export { createBackupService, archiveName, type BackupInfo, type BackupService, type BackupServiceDeps, type BackupStatus } from './service'
export { BACKUPS_DIR, type DataLayout } from './layout'
