import type sharpType from 'sharp'

export type Sharp = typeof sharpType

let loading: Promise<Sharp> | null = null

/**
 * sharp (libvips, ~28 MiB resident once loaded) is loaded the first time an image is handled, not when the
 * server starts: most of a blog's requests never touch an image. The module cache makes it one load.
 */
export function loadSharp(): Promise<Sharp> {
  loading ??= import('sharp').then((module) => {
    const sharp = module.default
    // libvips' operation cache would keep decoded uploads in memory and their files open (on Windows an open
    // file cannot be deleted or replaced): every upload is read once, so there is nothing to gain from it.
    sharp.cache(false)
    return sharp
  })
  return loading
}
