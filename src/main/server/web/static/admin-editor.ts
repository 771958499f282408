/**
 * The admin editor's progressive enhancement, served as /static/admin-editor.js (same origin, so helmet's
 * `script-src 'self'` allows it; no inline script anywhere). Every form works without it; with it:
 * - photos: drop files on the form, paste them, or pick them; each gets a preview (a data: URL, which the
 *   CSP's img-src allows), alt text, Up/Down/Remove. The new files are put back into the form's file input
 *   (a DataTransfer) in list order, so the submission stays the same multipart form the server takes
 *   without JavaScript;
 * - a live preview: the Markdown is rendered by the server (POST /admin/preview, CSRF header), debounced;
 * - the media library's Copy URL buttons.
 */
export const ADMIN_EDITOR_JS = String.raw`(() => {
  'use strict'
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || ''

  // Media library: Copy URL (the URL itself is visible without JavaScript).
  for (const button of document.querySelectorAll('[data-copy-button]')) {
    const source = document.getElementById(button.getAttribute('data-copy-button'))
    if (!source) continue
    button.hidden = false
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(source.value)
        button.textContent = 'Copied'
      } catch {
        source.select()
        button.textContent = 'Press Ctrl+C to copy'
      }
    })
  }

  const form = document.querySelector('form[data-note-editor]')
  if (!form) return
  const list = form.querySelector('[data-photo-list]')
  const input = form.querySelector('input[type="file"][name="photo"]')
  const zone = form.querySelector('[data-drop-zone]')
  const hint = form.querySelector('[data-drop-hint]')
  if (hint) hint.hidden = false
  /** The File of each new row. */
  const files = new WeakMap()
  let counter = list.children.length

  function renumber() {
    let position = 0
    for (const row of list.children) {
      position += 1
      const field = row.querySelector('input[name="photo_position"]')
      if (field) field.value = String(position)
      const label = row.querySelector('label[for$="-alt"]')
      if (label) label.textContent = 'Alt text for photo ' + position
    }
    // The file input carries exactly the new rows' files, in list order.
    const transfer = new DataTransfer()
    for (const row of list.children) {
      const file = files.get(row)
      if (file) transfer.items.add(file)
    }
    input.files = transfer.files
    summary()
  }

  function summary() {
    const missing = [...list.querySelectorAll('[data-alt-input]')].filter((field) => field.value.trim() === '').length
    let note = document.getElementById('alt-summary')
    if (!note && missing > 0) {
      note = document.createElement('p')
      note.id = 'alt-summary'
      note.className = 'alt-summary'
      note.setAttribute('role', 'status')
      form.before(note)
    }
    if (!note) return
    note.hidden = missing === 0
    note.textContent = missing === 0 ? '' : (missing === 1 ? '1 photo has' : missing + ' photos have') +
      ' no alt text. The note is saved anyway; add a short description of each photo for readers who cannot see it.'
  }

  function button(label, action) {
    const b = document.createElement('button')
    b.type = 'button'
    b.textContent = label
    b.addEventListener('click', action)
    return b
  }

  function enhance(row) {
    // Without JavaScript, reordering is a position number and removing a checkbox; here they are buttons.
    for (const field of row.querySelectorAll('[data-position-field], [data-remove-field]')) field.hidden = true
    const altField = row.querySelector('[data-alt-input]')
    const warning = row.querySelector('[data-alt-warning]')
    altField.addEventListener('input', () => {
      warning.hidden = altField.value.trim() !== ''
      summary()
    })
    const tools = document.createElement('span')
    tools.className = 'photo-tools'
    tools.append(
      button('Move up', () => { if (row.previousElementSibling) { row.previousElementSibling.before(row); renumber() } }),
      ' ',
      button('Move down', () => { if (row.nextElementSibling) { row.nextElementSibling.after(row); renumber() } }),
      ' ',
      button('Remove', () => { row.remove(); renumber() }),
    )
    row.querySelector('.photo-fields').append(tools)
  }

  function addFile(file) {
    if (!file || !file.type.startsWith('image/') && !/\.(heic|heif)$/i.test(file.name)) return
    counter += 1
    const id = 'photo-new-' + counter
    const row = document.createElement('li')
    row.className = 'photo-row'
    row.dataset.photoRow = 'new'
    const img = document.createElement('img')
    img.className = 'photo-thumb'
    img.alt = ''
    img.width = 96
    img.height = 96
    const reader = new FileReader()
    reader.addEventListener('load', () => { img.src = String(reader.result) })
    reader.readAsDataURL(file)
    const item = document.createElement('input')
    item.type = 'hidden'
    item.name = 'photo_item'
    item.value = 'new'
    const fields = document.createElement('span')
    fields.className = 'photo-fields'
    const label = document.createElement('label')
    label.htmlFor = id + '-alt'
    const alt = document.createElement('input')
    alt.id = id + '-alt'
    alt.name = 'photo_alt'
    alt.type = 'text'
    alt.maxLength = 1000
    alt.dataset.altInput = ''
    alt.setAttribute('aria-describedby', id + '-warning')
    const warning = document.createElement('span')
    warning.id = id + '-warning'
    warning.className = 'alt-warning'
    warning.dataset.altWarning = ''
    warning.textContent = 'No alt text: people who cannot see the photo will not know what it shows.'
    const name = document.createElement('span')
    name.className = 'photo-name'
    name.textContent = file.name
    const position = document.createElement('input')
    position.type = 'hidden'
    position.name = 'photo_position'
    fields.append(label, ' ', name, alt, warning, position)
    row.append(img, item, fields)
    files.set(row, file)
    list.append(row)
    enhance(row)
  }

  function addFiles(fileList) {
    for (const file of fileList) addFile(file)
    renumber()
  }

  for (const row of list.children) enhance(row)
  input.addEventListener('change', () => addFiles([...input.files]))
  for (const target of [form, zone]) {
    target.addEventListener('dragover', (event) => {
      if ([...(event.dataTransfer?.types || [])].includes('Files')) {
        event.preventDefault()
        zone.classList.add('dragging')
      }
    })
  }
  form.addEventListener('dragleave', () => zone.classList.remove('dragging'))
  form.addEventListener('drop', (event) => {
    const dropped = event.dataTransfer?.files
    if (!dropped || dropped.length === 0) return
    event.preventDefault()
    zone.classList.remove('dragging')
    addFiles([...dropped])
  })
  document.addEventListener('paste', (event) => {
    const pasted = [...(event.clipboardData?.files || [])]
    if (pasted.length === 0) return
    event.preventDefault()
    addFiles(pasted)
  })
  renumber()

  // Live preview, rendered by the server with the notes' own sanitiser.
  const content = form.querySelector('textarea[name="content"]')
  const section = document.querySelector('[data-preview-section]')
  const target = document.querySelector('[data-preview]')
  const previewButton = form.querySelector('[data-preview-button]')
  let timer = 0
  let sent = 0
  async function preview() {
    const ticket = ++sent
    const response = await fetch(form.dataset.previewUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf },
      body: new URLSearchParams({ content: content.value }),
      credentials: 'same-origin',
    })
    if (ticket !== sent) return
    const html = await response.text()
    section.hidden = false
    target.innerHTML = response.ok ? html : '<p>The preview could not be rendered (' + response.status + ').</p>'
  }
  content.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(() => { preview().catch(() => undefined) }, 400)
  })
  previewButton.addEventListener('click', (event) => {
    event.preventDefault()
    clearTimeout(timer)
    preview().catch(() => undefined)
  })
})()
`
