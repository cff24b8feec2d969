// Vite (and so vitest) imports a file's text with `?raw`: fixtures reach the
// tests as the exact bytes on disk, in Node and in the edge runtime alike.
declare module '*?raw' {
  const content: string;
  export default content;
}
