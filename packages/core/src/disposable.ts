// Array implements the disposable protocol (`using x = ...`). Its published .d.ts names
// Symbol.dispose, which TypeScript declares only with the ES2025/ESNext.Disposable libs: this
// declaration, imported by array.ts, makes the types check in a consumer with any `lib` (the same
// declaration as @types/node's, and compatible with the lib's own).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export {};
