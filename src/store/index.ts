export type { KeyValueStore, Clock, CompareAndSetResult } from './store.js';
export { MemoryStore } from './memory.js';
