/** Styles of the admin editor, the media library and the profile page (/static/admin.css, admin pages only). */
export const ADMIN_CSS = `
.photo-editor { border: 1px solid var(--border); border-radius: 4px; padding: 0.5rem 0.75rem; margin: 0 0 1rem; }
.photo-list { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.5rem; }
.photo-row { display: flex; gap: 0.75rem; align-items: flex-start; padding: 0.5rem; background: var(--surface); border-radius: 4px; }
.photo-thumb { width: 96px; height: 96px; object-fit: cover; border-radius: 4px; flex: none; background: var(--border); }
.photo-fields { display: flex; flex-direction: column; gap: 0.25rem; flex: 1; min-width: 0; }
.photo-fields input[type="text"] { width: 100%; max-width: 36rem; }
.photo-name { color: var(--muted); font-size: 0.9rem; overflow-wrap: anywhere; }
.alt-warning, .alt-summary { color: var(--accent-fg); background: var(--accent-bg); padding: 0.1rem 0.4rem; border-radius: 4px; font-size: 0.9rem; }
.alt-warning[hidden], .alt-summary[hidden] { display: none; }
.photo-drop { margin: 0.75rem 0 0; padding: 0.75rem; border: 2px dashed var(--border); border-radius: 4px; }
.photo-drop.dragging { border-color: var(--link); }
.photo-tools { display: flex; flex-wrap: wrap; gap: 0.25rem; }
.note-preview { margin-top: 1.5rem; padding: 0.75rem; border: 1px solid var(--border); border-radius: 4px; }
.note-preview[hidden] { display: none; }
.media-grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
.media-item { border: 1px solid var(--border); border-radius: 4px; padding: 0.5rem; }
.media-thumb { display: block; width: 100%; height: 10rem; object-fit: cover; border-radius: 4px; background: var(--surface); }
.media-item dl { display: grid; grid-template-columns: auto 1fr; gap: 0.1rem 0.5rem; margin: 0.5rem 0; font-size: 0.9rem; }
.media-item dt { color: var(--muted); }
.media-item dd { margin: 0; overflow-wrap: anywhere; }
.media-item input[type="text"] { width: 100%; }
.media-uses { margin: 0; padding-left: 1rem; }
.media-in-use { color: var(--muted); font-size: 0.9rem; }
.profile-photo { border-radius: 50%; object-fit: cover; }
.env-note { display: block; color: var(--muted); font-size: 0.9rem; }
`
