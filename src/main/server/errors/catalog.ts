import type { ErrorInfo } from '../../../shared/errors'

export interface CatalogEntry extends Omit<ErrorInfo, 'code'> {
  /** HTTP status when this error answers a request. */
  status: number
}

/**
 * Every error a person can meet, keyed by its stable code. `{name}` placeholders in message/details are
 * filled by appError(code, { vars }). 4xx entries are user errors, 5xx are system errors.
 */
export const ERROR_CATALOG = {
  CONFIG_INVALID: {
    status: 500,
    message: 'Configuration error: {detail}',
    suggestion: 'Check your STARPUNK_* environment variables and the config file in the data directory.',
    details: 'Invalid configuration was detected at startup.',
    troubleshooting: [
      'Run `npm run check-config` to list every problem at once.',
      'Verify the STARPUNK_* environment variables for typos in names and values.',
      'Check `<data dir>/config.json` if you use one.',
      'See the configuration table in README.md.',
    ],
  },
  CONFIG_UNKNOWN_SETTING: {
    status: 500,
    message: 'Unknown setting {name}.',
    suggestion: 'Check the spelling against the configuration table in README.md.',
    details: 'A setting name that StarPunk does not know is usually a typo, and the value it was meant to set is silently not applied.',
    troubleshooting: ['Compare the name with the configuration table in README.md.', 'Remove settings that no longer exist.'],
  },
  CONFIG_FILE_INVALID: {
    status: 500,
    message: 'The config file cannot be used: {detail}',
    suggestion: 'Fix the file so it holds one JSON object of "STARPUNK_NAME": "value" pairs, or delete it.',
    troubleshooting: ['Check the file with `node -e "JSON.parse(require(\'fs\').readFileSync(\'data/config.json\', \'utf8\'))"`.', 'See docs/configuration.md for the file format.'],
  },
  CONFIG_WARNING: {
    // Never answers a request: a warning is printed at startup and shown in the console, and the server runs.
    status: 500,
    message: 'Configuration warning: {detail}',
    suggestion: 'Check the setting named in the message; the server runs as configured meanwhile.',
    troubleshooting: ['Run `npm run check-config` to list every warning and problem at once.', 'See the configuration table in README.md.'],
  },
  NOT_FOUND: {
    status: 404,
    message: 'Nothing lives at this address.',
    suggestion: 'Check the address, or start from the home page.',
    troubleshooting: ['Check the URL for typos.', 'The note may have been deleted or unpublished.'],
  },
  NOTE_GONE: {
    status: 410,
    message: 'This note was deleted.',
    suggestion: 'Start from the home page for the notes that are here.',
    troubleshooting: ['The author deleted this note; sites that showed a reply or mention of it may remove theirs.'],
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: 'This address does not accept {method} requests.',
    suggestion: 'Use one of the methods listed in the Allow header.',
    troubleshooting: ['Check the HTTP method your client sends.'],
  },
  BAD_REQUEST: {
    status: 400,
    message: 'The request could not be understood: {detail}',
    suggestion: 'Correct the request and send it again.',
    troubleshooting: ['Check the request body and parameters against the documentation.'],
  },
  NOT_ACCEPTABLE: {
    status: 406,
    message: 'None of the formats your client accepts is available here.',
    suggestion: 'Ask for one of: {available}.',
    troubleshooting: ['Check the Accept header your client sends.', 'Or fetch a format directly: {links}.'],
  },
  ENCODING_NOT_ACCEPTABLE: {
    status: 406,
    message: 'Your client refuses every content coding available here, the uncompressed one included.',
    suggestion: 'Accept one of: br, gzip, identity.',
    troubleshooting: ['Check the Accept-Encoding header your client sends: "identity;q=0" or "*;q=0" refuses an uncompressed answer.'],
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'This address does not accept a body of type {type}.',
    suggestion: 'Send the body with one of the content types this endpoint documents.',
    troubleshooting: ['Check the Content-Type header your client sends.', 'Forms use application/x-www-form-urlencoded or multipart/form-data; APIs use application/json.'],
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The request body is larger than the {limit} this server accepts.',
    suggestion: 'Send a smaller body, or raise the limit in the configuration.',
    troubleshooting: ['Check the size of what you upload.', 'See STARPUNK_MAX_BODY_BYTES / STARPUNK_MEDIA_MAX_BYTES in README.md.'],
  },
  NOTE_TOO_LARGE: {
    status: 413,
    message: 'The note is {size} long; this server accepts notes up to {limit}.',
    suggestion: 'Shorten the note or split it into several, or raise STARPUNK_MAX_NOTE_BYTES.',
    troubleshooting: ['Sizes are counted in UTF-8 bytes: letters outside ASCII take two to four bytes each.', 'See STARPUNK_MAX_NOTE_BYTES in README.md.'],
  },
  NOTE_TOO_COMPLEX: {
    status: 422,
    message: 'The note could not be rendered in time: its Markdown is too complex.',
    suggestion: 'Simplify the note (deeply nested lists, quotes or brackets), or split it into several.',
    troubleshooting: ['Preview the note in a Markdown editor to find the part that nests deeply.', 'Nothing was saved: the note is still in your editor or client.'],
  },
  UNAUTHORIZED: {
    status: 401,
    message: 'You need to sign in to do this.',
    suggestion: 'Sign in and try again.',
    troubleshooting: ['Your session may have timed out: sign in again.', 'For API clients, send a valid bearer token.'],
  },
  FORBIDDEN: {
    status: 403,
    message: 'You are not allowed to do this.',
    suggestion: 'Sign in with an account that has permission, or reload the form and try again.',
    troubleshooting: ['If you submitted a form, reload the page: its security token may have expired.'],
  },
  MICROPUB_MALFORMED: {
    status: 400,
    message: 'Invalid Micropub request: {detail}',
    suggestion: 'Please check your Micropub client configuration.',
    details: "The request doesn't conform to the Micropub specification.",
    troubleshooting: [
      'Ensure Content-Type is application/x-www-form-urlencoded, multipart/form-data or application/json.',
      'Verify required fields are present.',
      'Check for proper encoding.',
      'See https://micropub.spec.indieweb.org/',
    ],
  },
  DATABASE_LOCKED: {
    status: 503,
    message: 'The database is temporarily locked.',
    suggestion: 'Please try again in a moment.',
    details: 'This usually happens when another process writes to the database at the same time.',
    troubleshooting: ['Wait a few seconds and retry.', 'Check for long-running operations or another program holding the database open.', 'Ensure WAL mode is enabled.'],
  },
  POOL_EXHAUSTED: {
    status: 503,
    message: 'The server is too busy to take this request right now.',
    suggestion: 'Try again in a moment; if it persists, raise STARPUNK_DB_POOL_SIZE or STARPUNK_DB_POOL_TIMEOUT_MS.',
    details: 'All database connections stayed busy for longer than the acquire timeout.',
    troubleshooting: ['Retry after the number of seconds in Retry-After.', 'Look for slow queries in the log.', 'Increase the pool size or the acquire timeout.'],
  },
  RENDER_UNAVAILABLE: {
    status: 503,
    message: 'Notes cannot be rendered right now.',
    suggestion: 'Try again in a few seconds.',
    troubleshooting: ['The Markdown renderer runs in a worker thread; the server log says why it could not start or is busy.', 'Nothing was saved.'],
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The database cannot be opened or read.',
    suggestion: 'Check that the database file exists, is readable, and is not corrupt.',
    troubleshooting: ['Check file permissions on the data directory.', 'Run `sqlite3 <data dir>/starpunk.db "PRAGMA integrity_check"`.', 'Restore from a backup if the file is corrupt.'],
  },
  DATABASE_CORRUPT: {
    status: 503,
    message: 'The database file is damaged.',
    suggestion: 'Stop StarPunk and restore the database from a backup.',
    details: 'SQLite reported that the file is not a database or that its structure is malformed.',
    troubleshooting: ['Run `sqlite3 <data dir>/starpunk.db "PRAGMA integrity_check"`.', 'Try `.recover` in the sqlite3 shell to salvage notes.', 'Restore the latest backup of the data directory.'],
  },
  MIGRATION_FAILED: {
    status: 500,
    message: 'Database migration {migration} failed; nothing was changed.',
    suggestion: 'Restore the previous StarPunk version or a backup, and report the log lines around this error.',
    details: 'Migrations run in one transaction at startup: a failure rolls all of them back, so the file stays as it was.',
    troubleshooting: ['Read the log line "migration failed" for the cause.', 'Run `sqlite3 <data dir>/starpunk.db "SELECT * FROM schema_migrations"` to see what is applied.', 'Check the disk is not full.'],
  },
  DATA_DIR_NOT_WRITABLE: {
    status: 503,
    // No path in the message: it can answer an HTTP request. The path goes in `details` (logs, CLI).
    message: 'The data directory is not writable.',
    suggestion: 'Give the user running StarPunk write permission on the data directory, or choose another with STARPUNK_DATA_DIR.',
    troubleshooting: ['Check the directory permissions (ls -ld).', 'Check the disk is not full or mounted read-only.'],
  },
  PORT_IN_USE: {
    status: 500,
    message: 'Port {port} on {host} is already in use.',
    suggestion: 'Stop the other program using the port, or choose another with STARPUNK_PORT.',
    troubleshooting: ['Find the program: `lsof -i :{port}` or `ss -ltnp`.', 'Is another StarPunk already running?', 'Set STARPUNK_PORT to a free port.'],
  },
  SERVER_NOT_RUNNING: {
    status: 503,
    message: 'The blog server is not running, so {what} is not available.',
    suggestion: 'Start the server from the console (Start), then try again.',
    troubleshooting: ['Look at the Overview panel for why it stopped (for example, a port already in use).', 'Fix any configuration problem listed in the Config panel, then press Start.'],
  },
  MONITORING_UNAVAILABLE: {
    status: 503,
    // No path: the console shows it, and it may be opened from another machine.
    message: 'The monitoring history cannot be read right now ({reason}).',
    suggestion: 'Live numbers keep working; the history comes back once the data directory is readable again.',
    troubleshooting: [
      'Check the Health panel: the filesystem and disk components say what is wrong with the data directory.',
      'The history lives in <data dir>/metrics.db; make sure the user running StarPunk can read and write it.',
      'A server started without monitoring (an older build, or a test server) has no history: restart it with the current version.',
    ],
  },
  CONSOLE_NOT_BUILT: {
    status: 503,
    message: 'The admin console has not been built yet.',
    suggestion: 'Run `npm run build:console` (or `npm run serve`, which builds it when missing), then reload.',
    troubleshooting: ['Run `npm run build:console` and look for errors.', 'Check that out/renderer/index.html exists.'],
  },
  CONSOLE_ACTION_UNAVAILABLE: {
    status: 409,
    message: 'This server cannot {action} itself from the console.',
    suggestion: 'Restart it from the terminal or service manager that started it.',
    details: 'Start, stop and restart need the server supervisor (the desktop app or the supervised headless mode).',
    troubleshooting: ['Run the desktop app (`npm start`) or restart `npm run serve` in its terminal.'],
  },
  SITE_EXPORT_UNAVAILABLE: {
    status: 409,
    message: 'The site cannot be exported to {target} on this server.',
    suggestion: 'Export into the data directory, or set STARPUNK_MIRROR_DIR in the environment and restart to export into a mirror.',
    troubleshooting: ['The mirror target exists only when STARPUNK_MIRROR_DIR is set (environment only).'],
  },
  SITE_EXPORT_FAILED: {
    status: 500,
    message: 'The site export failed: {reason}',
    suggestion: 'Check that the folder can be written (free space, permissions) and try again.',
    troubleshooting: ['The server log has the details under the same request ID.'],
  },
  SEARCH_DISABLED: {
    status: 404,
    message: 'Search is turned off on this site.',
    suggestion: 'Browse the notes from the home page or by tag instead.',
    troubleshooting: ['The site owner can turn search on with STARPUNK_SEARCH_ENABLED=true.'],
  },
  LOGIN_LINK_INVALID: {
    status: 400,
    message: 'This login link {reason}.',
    suggestion: 'Get a fresh link: restart `npm run serve` (it prints one) or choose "Open admin" in the desktop app.',
    details: 'One-time login links work once and expire after a few minutes.',
    troubleshooting: ['Copy the whole link, including everything after token=.', 'Use the newest link: each one works only once.'],
  },
  LOGIN_FAILED: {
    status: 400,
    message: 'Sign-in failed: {detail}',
    suggestion: 'Start again from the login page.',
    troubleshooting: [
      'Sign-in attempts expire after 10 minutes: start again if you waited.',
      'Check that STARPUNK_ADMIN_ME is the URL you sign in with.',
      'Your IndieAuth server must send you back to {siteUrl}/admin/login/callback.',
    ],
  },
  OUTBOUND_DISABLED: {
    status: 503,
    message: 'Outbound requests are turned off: {detail}',
    suggestion: 'Set STARPUNK_FETCH_ENABLED=true to let StarPunk contact other sites (IndieAuth sign-in, external tokens).',
    troubleshooting: [
      'STARPUNK_FETCH_ENABLED=false stops every request StarPunk makes to other sites.',
      'Meanwhile, sign in with the one-time link `npm run serve` prints.',
    ],
  },
  OUTBOUND_REFUSED: {
    status: 502,
    message: 'StarPunk refused to fetch an address: {detail}',
    suggestion: 'Use a public http(s) address of another site.',
    troubleshooting: [
      'Only http and https addresses on the public internet are fetched.',
      'For a test or a two-server set-up on one machine or a private network, set STARPUNK_FETCH_ALLOW_PRIVATE=true.',
      'This site never fetches its own address to verify a token.',
    ],
  },
  OUTBOUND_FAILED: {
    status: 502,
    message: 'A request to another site failed: {detail}',
    suggestion: 'Check that the other site is reachable and answers normally, then try again.',
    troubleshooting: [
      'Open the address in a browser: it must answer within 10 seconds, with at most 5 redirects.',
      'Documents larger than 1 MiB are not read.',
      'Check the network connection of the machine running StarPunk.',
    ],
  },
  WEBMENTION_INVALID: {
    status: 400,
    message: 'Webmention not accepted: {detail}',
    suggestion: 'Send form-encoded source and target: two different http(s) URLs, the target a published page of this site.',
    troubleshooting: [
      'The body must be application/x-www-form-urlencoded with the fields source and target (W3C Webmention).',
      'The target must be the address of a published note here, as its page shows it.',
      'The source is the page on your site that links to the target.',
    ],
  },
  WEBMENTION_BLOCKED: {
    status: 403,
    message: 'Webmentions from {domain} are not accepted here.',
    suggestion: 'Contact the author of this site if you think this is a mistake.',
    troubleshooting: ['The author of this site has blocked this domain.'],
  },
  WEBMENTION_RATE_LIMITED: {
    status: 429,
    message: 'Too many Webmentions from {host}. Try again in {seconds} seconds.',
    suggestion: 'Wait, then send again; repeats of a queued Webmention are not needed.',
    details: 'Webmentions are limited per source host so one site cannot flood the verification queue.',
    troubleshooting: ['Wait for the time in Retry-After.', 'A Webmention already queued is verified once; sending it again changes nothing.'],
  },
  WEBMENTION_QUEUE_FULL: {
    status: 503,
    message: 'Too many Webmentions are waiting to be verified.',
    suggestion: 'Try again in a few minutes.',
    troubleshooting: ['Wait for the time in Retry-After, then send again.'],
  },
  INDIEAUTH_UNAVAILABLE: {
    status: 502,
    message: 'Could not complete sign-in with the IndieAuth server: {detail}',
    suggestion: 'Check that your site and its IndieAuth server are reachable, then try again.',
    troubleshooting: [
      'Open STARPUNK_ADMIN_ME in a browser: it must answer and advertise indieauth-metadata or authorization_endpoint.',
      'Check the network connection of the machine running StarPunk.',
      'Meanwhile, sign in with the one-time link `npm run serve` prints.',
    ],
  },
  TOO_MANY_LOGIN_ATTEMPTS: {
    status: 429,
    message: 'Too many failed sign-in attempts from your address. Try again in {seconds} seconds.',
    suggestion: 'Wait, then sign in again.',
    details: 'Failed sign-in attempts are limited per address to slow down guessing.',
    troubleshooting: ['Wait for the time in Retry-After.', 'Use a fresh one-time link: old links fail and count as attempts.'],
  },
  TOKEN_MISSING: {
    status: 401,
    message: 'No access token was sent.',
    suggestion: 'Send a bearer token in the Authorization header or the access_token body field.',
    troubleshooting: ['Sign in again from your Micropub client.', 'Or create a personal token at /admin/tokens.'],
  },
  TOKEN_INVALID: {
    status: 401,
    message: 'The access token is not valid: it is unknown, expired or revoked.',
    suggestion: 'Sign in again from your Micropub client, or create a new personal token.',
    troubleshooting: ['List your tokens at /admin/tokens: a revoked or expired token cannot be used.', 'Check that the token was copied whole.'],
  },
  TOKEN_UNVERIFIABLE: {
    status: 401,
    message: 'The access token could not be verified with the token endpoint of {me}.',
    suggestion: 'Try again in a moment; if it persists, check the token endpoint your site advertises.',
    details: 'External tokens are checked against the token endpoint discovered from ADMIN_ME; when it cannot be reached, the request is refused.',
    troubleshooting: ['Check that {me} is reachable and links its token endpoint.', 'Use a personal token from /admin/tokens instead.'],
  },
  TOKEN_CONFLICT: {
    status: 400,
    message: 'The request carries two different access tokens.',
    suggestion: 'Send the token once: in the Authorization header or in the access_token field.',
    troubleshooting: ['Check your client does not mix two tokens.'],
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    message: 'This token lacks the "{scope}" scope needed here.',
    suggestion: 'Sign in again asking for the "{scope}" scope, or create a personal token with it.',
    troubleshooting: ['See the scopes of your tokens at /admin/tokens.'],
  },
  MEDIA_IN_USE: {
    status: 409,
    message: 'This upload is used by {count}, so it was not deleted.',
    suggestion: 'Remove the photo from those notes first (edit each note), then delete the upload.',
    details: 'Deleting an upload a note shows would leave a broken image on the public page and in feeds.',
    troubleshooting: ['The media library (/admin/media) lists the notes that use each upload.', 'Notes in the trash count too: they can be restored.'],
  },
  MEDIA_STORAGE_UNAVAILABLE: {
    status: 503,
    // No path: it answers HTTP requests. The errno code says what the disk refused.
    message: 'Uploads cannot be stored right now: the media directory {reason} ({code}).',
    suggestion: 'Try again later; text posts still work. The site owner can fix the media directory without a restart.',
    details: 'Pages, feeds and text notes keep working; only media uploads are affected.',
    troubleshooting: [
      'Check /health/ready (the media component) for the cause.',
      'Make <data dir>/media a directory the user running StarPunk can write to (ls -ld).',
      'Check the disk is not full or mounted read-only (df -h, mount).',
    ],
  },
  UPLOADS_BUSY: {
    status: 429,
    message: 'Too many uploads that carry their access token in the body are being received right now.',
    suggestion: 'Send the access token in the Authorization header (it is checked before the upload is read), or try again in a moment.',
    details: 'A token in the body can only be checked once the whole upload has arrived, so only a few such uploads are taken at a time.',
    troubleshooting: ['Wait for the time in Retry-After.', 'Configure your Micropub client to send "Authorization: Bearer <token>".'],
  },
  IMAGE_EMPTY: {
    status: 400,
    message: 'The uploaded file is empty (0 bytes).',
    suggestion: 'Choose the photo again and upload it once more.',
    troubleshooting: ['Check that the file opens in an image viewer on your device.', 'Some apps hand over an empty file while a photo is still downloading from cloud storage: wait for it, then upload again.'],
  },
  IMAGE_UNSUPPORTED: {
    status: 415,
    message: 'The file is not an image this server takes (its content is {found}).',
    suggestion: 'Upload a JPEG, PNG, GIF, WebP, AVIF, HEIC or HEIF image.',
    details: 'Files are checked by their content, not by their name or declared type.',
    troubleshooting: ['Open the file in an image viewer to check it is a photo or picture.', 'Export or convert it to JPEG or PNG, then upload it again.'],
  },
  IMAGE_TYPE_MISMATCH: {
    status: 400,
    message: 'The file says it is {declared}, but its content is {found}.',
    suggestion: 'Save the image again in its real format (or rename it to match), then upload it.',
    details: 'A file whose name or declared type disagrees with its content is refused: that is how files that are two things at once get through.',
    troubleshooting: ['Open the image in an image editor and export it as JPEG or PNG.', 'Check the file extension matches the format.'],
  },
  IMAGE_POLYGLOT: {
    status: 400,
    message: 'The image also carries {other}, and is refused.',
    suggestion: 'Export the picture again from an image editor so the file holds only the image.',
    details: 'Files that are an image and another kind of file at once (an archive, a PDF, a web page) are refused.',
    troubleshooting: ['Open the image in an image editor and export it as a new JPEG or PNG.', 'If the file came from someone else, be careful with it.'],
  },
  IMAGE_TOO_LARGE: {
    status: 413,
    message: 'The image is {width} × {height} pixels ({megapixels} megapixels); this server takes images up to {limit} megapixels.',
    suggestion: 'Scale the image down before uploading it, or raise STARPUNK_IMAGE_MAX_PIXELS.',
    details: 'The limit is counted in pixels, not bytes: a small file can unpack into a huge image. Animations count every frame.',
    troubleshooting: ['Resize the image in an image editor (a long side of 4000 pixels is plenty for the web).', 'See STARPUNK_IMAGE_MAX_PIXELS in README.md.'],
  },
  IMAGE_CORRUPT: {
    status: 400,
    message: 'The image cannot be read: it is damaged or incomplete.',
    suggestion: 'Upload the image again; if that fails too, open it in an image editor and export it again.',
    troubleshooting: ['Check that the file opens in an image viewer and shows the whole picture.', 'An upload that was cut off part way leaves an incomplete file: try again on a steadier connection.'],
  },
  IMAGE_TOO_COMPLEX: {
    status: 422,
    message: 'The image could not be processed in time.',
    suggestion: 'Scale the image down (or shorten the animation), then upload it again.',
    troubleshooting: ['Long animations and very large images take the longest: try a smaller version.', 'Nothing was saved.'],
  },
  IMAGES_BUSY: {
    status: 503,
    message: 'Too many images are being processed right now.',
    suggestion: 'Try again in a moment.',
    troubleshooting: ['Wait for the time in Retry-After, then upload again.', 'Upload photos a few at a time.'],
  },
  IMAGE_PROCESSING_UNAVAILABLE: {
    status: 503,
    message: 'Images cannot be processed right now.',
    suggestion: 'Try again later; text posts still work.',
    troubleshooting: ['Search the log for the request ID shown here: it names what failed.', 'Restart StarPunk if it keeps happening.'],
  },
  INDIEAUTH_INVALID_REQUEST: {
    status: 400,
    message: 'Invalid IndieAuth request: {detail}',
    suggestion: 'Check the sign-in settings of your client; it may need an update.',
    troubleshooting: [
      'PKCE with S256 and a state parameter are required.',
      'redirect_uri must have the scheme, host and port of client_id (a loopback redirect may use any port), or be published by the page at client_id (redirect_uris in its JSON metadata, or rel="redirect_uri").',
      'client_id must be an http(s) URL with a domain name (or 127.0.0.1 / [::1]), without fragment or user name.',
    ],
  },
  INDIEAUTH_INVALID_GRANT: {
    status: 400,
    message: 'The authorization code is invalid, expired or already used.',
    suggestion: 'Start signing in again from your client.',
    troubleshooting: ['Codes are single-use and expire after a few minutes.', 'client_id, redirect_uri and code_verifier must match the original request.'],
  },
  BACKUP_FAILED: {
    status: 500,
    // No path in the message: it can answer a console call. The CLI prints the details.
    message: 'The backup could not be written: {reason}.',
    suggestion: 'Check that the disk has room and the backup folder is writable, then try again. Nothing was left under the backup\'s name.',
    troubleshooting: ['Check free space with `df -h` on the data directory and the backup folder.', 'Check the folder permissions (ls -ld).', 'The log has the full cause under the same request ID.'],
  },
  BACKUP_IN_PROGRESS: {
    status: 409,
    message: 'A backup is already running.',
    suggestion: 'Wait for it to finish; the Overview shows its time when it is done.',
    troubleshooting: ['Only one backup runs at a time, so two clicks never make two half-written copies.'],
  },
  BACKUP_FILE_EXISTS: {
    status: 409,
    message: 'A file already exists where the backup should go.',
    suggestion: 'Choose a new file name, or move the old file away first: a backup never overwrites a file.',
    troubleshooting: ['Name each backup by its date, e.g. starpunk-2026-12-01.tar.gz.'],
  },
  BACKUP_NOT_FOUND: {
    status: 404,
    message: 'The backup file does not exist or cannot be read.',
    suggestion: 'Check the path of the backup file.',
    troubleshooting: ['The console\'s backups are in <data dir>/backups.', 'Check the file permissions (ls -l).'],
  },
  BACKUP_NOT_AN_ARCHIVE: {
    status: 400,
    message: 'This file is not a StarPunk backup.',
    suggestion: 'Choose a file made by `npm run backup` or by "Back up now" (a .tar.gz holding manifest.json).',
    troubleshooting: ['List what the file holds with `tar -tzf FILE`.'],
  },
  BACKUP_CORRUPT: {
    status: 400,
    message: 'The backup is damaged: {reason}.',
    suggestion: 'Restore from another backup; nothing was written to the target directory.',
    troubleshooting: ['A file cut short while copying is the usual cause: compare its size with the original.', 'Older copies are kept in <data dir>/backups.'],
  },
  BACKUP_UNSAFE_ENTRY: {
    status: 400,
    message: 'The backup holds an entry that is refused: {reason}.',
    suggestion: 'Restore only archives made by StarPunk; this one was changed or made by something else. Nothing was written to the target directory.',
    troubleshooting: ['A StarPunk backup holds only plain files: manifest.json, the databases, config.json, session-secret, media/ and originals/.'],
  },
  RESTORE_TARGET_NOT_EMPTY: {
    status: 409,
    message: 'The target directory is not empty.',
    suggestion: 'Restore into a new or empty directory, or add --replace to move the current contents aside (to a folder next to it) first.',
    troubleshooting: ['Stop any server using that data directory before restoring into it.'],
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'Something went wrong on our side.',
    suggestion: 'Try again; if it keeps happening, look up the request ID in the log.',
    troubleshooting: ['Search the log for the request ID shown here.', 'Check /health/ready for a failing component.'],
  },
} satisfies Record<string, CatalogEntry>

export type ErrorCode = keyof typeof ERROR_CATALOG
