// jsonfeed-schema ships the JSON Schema without types: it is a plain JSON Schema object.
declare module 'jsonfeed-schema' {
  const schema: Record<string, unknown>
  export default schema
}
