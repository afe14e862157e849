export type { KeyValueStore, Clock } from './store.js';
export { MemoryStore } from './memory.js';
