// Vite's `?raw` suffix (vitest): a module's text as a string. Only tests use it, to check that the
// generated assets module still matches the files it was generated from.
declare module '*?raw' {
  const text: string;
  export default text;
}
