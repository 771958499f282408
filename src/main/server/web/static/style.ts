// The site stylesheet, served at /static/style.css. Kept as a module (not a loose file) so it ships inside
// any bundle of the server. Light and dark schemes; every text/background pair meets WCAG AA (≥ 4.5:1).
export const STYLE_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff;
  --fg: #1f2328;
  --muted: #57606a;
  --link: #0b57d0;
  --link-visited: #6a3ab2;
  --border: #d0d7de;
  --surface: #f6f8fa;
  --accent-bg: #fff8c5;
  --accent-fg: #4d2d00;
  --focus: #bf3989;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --fg: #e6edf3;
    --muted: #9da7b3;
    --link: #6cb6ff;
    --link-visited: #c297ff;
    --border: #30363d;
    --surface: #161b22;
    --accent-bg: #3b2e00;
    --accent-fg: #f8e3a1;
    --focus: #ff7bc0;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; -webkit-text-size-adjust: 100%; }
body {
  margin: 0 auto;
  max-width: 44rem;
  padding: 0 1rem 2rem;
  background: var(--bg);
  color: var(--fg);
  font-family: var(--font);
  line-height: 1.6;
  overflow-wrap: break-word;
}
a { color: var(--link); text-underline-offset: 0.15em; }
a:visited { color: var(--link-visited); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}
.skip-link { position: absolute; left: -999px; top: 0; padding: 0.5rem 1rem; background: var(--bg); z-index: 10; }
.skip-link:focus { left: 1rem; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.site-header {
  display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; align-items: center; justify-content: space-between;
  padding: 1rem 0; border-bottom: 1px solid var(--border); margin-bottom: 1.5rem;
}
.site-name { font-weight: 700; font-size: 1.25rem; text-decoration: none; color: var(--fg); }
.site-name:visited { color: var(--fg); }
.site-header nav { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; }
.search-form { display: flex; gap: 0.25rem; }
input, button, textarea, select { font: inherit; color: inherit; }
input[type="search"], input[type="text"], textarea, select {
  background: var(--bg); border: 1px solid var(--muted); border-radius: 4px; padding: 0.25rem 0.5rem;
}
button {
  background: var(--surface); border: 1px solid var(--muted); border-radius: 4px; padding: 0.25rem 0.75rem; cursor: pointer;
}
h1, h2, h3 { line-height: 1.25; }
.h-feed > h1 { font-size: 1.5rem; }
.h-entry { border-bottom: 1px solid var(--border); padding: 1rem 0 1.25rem; }
.h-entry:last-of-type { border-bottom: 0; }
.h-entry .p-name { margin: 0 0 0.5rem; font-size: 1.35rem; }
.entry-meta { color: var(--muted); font-size: 0.9rem; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; }
.entry-meta a { color: var(--muted); }
.tags { list-style: none; padding: 0; margin: 0.5rem 0 0; display: flex; flex-wrap: wrap; gap: 0.5rem; }
.tags a { font-size: 0.9rem; }
.marker {
  display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600;
  background: var(--accent-bg); color: var(--accent-fg);
}
.e-content img, .photo img { max-width: 100%; height: auto; }
.photo { margin: 0.75rem 0; }
/* 2–4 photos: two columns, also on a phone (each cell about half the screen), square crops; three: the first spans the row. */
.photo-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.4rem; margin: 0.75rem 0; }
.photo-grid .photo { margin: 0; }
.photo-grid img { display: block; width: 100%; height: auto; aspect-ratio: 1 / 1; object-fit: cover; border-radius: 0.25rem; }
.photos-3 .photo:first-child { grid-column: 1 / -1; }
.photos-3 .photo:first-child img { aspect-ratio: 2 / 1; }
.responses { list-style: none; padding: 0; margin: 0.5rem 0; color: var(--muted); font-size: 0.9rem; }
.e-content pre, code { font-family: var(--mono); font-size: 0.9em; }
.e-content pre { background: var(--surface); padding: 0.75rem; overflow-x: auto; border-radius: 4px; }
.e-content blockquote { margin: 0; padding-left: 1rem; border-left: 4px solid var(--border); color: var(--muted); }
.e-content table { border-collapse: collapse; }
.e-content th, .e-content td { border: 1px solid var(--border); padding: 0.25rem 0.5rem; }
.pagination { display: flex; justify-content: space-between; gap: 1rem; margin-top: 1.5rem; }
.empty { color: var(--muted); }
.error-page .request-id { color: var(--muted); font-size: 0.9rem; }
.site-footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--border); color: var(--muted); font-size: 0.9rem; }
mark { background: var(--accent-bg); color: var(--accent-fg); }
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto !important; transition: none !important; } }
`
