// Vite replaces an import with the `?worker&url` suffix by the URL of the bundled worker chunk.
declare module '*?worker&url' {
  const url: string;
  export default url;
}
