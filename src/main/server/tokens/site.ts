/** The public base URL: the configured site URL, or the listening URL when the site URL names port 0 (tests). */
export function publicBase(siteUrl: string, listening: () => string | null): () => string {
  return () => {
    const url = listening()
    return url && /:0$/.test(siteUrl) ? url : siteUrl
  }
}
