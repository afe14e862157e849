import type { KeyValueStore } from '../../store/store.js';
import { mergeEntries, type Inventory, type InventoryEntry } from './inventory.js';

const MEMBERS = 'inventory:members';
/** An instance silent this long drops out of the merged view (its snapshot expires with it). */
const MEMBER_TTL_MS = 24 * 3600_000;

/**
 * Shares one inventory between every instance on the same store (Redis): each instance writes its
 * own snapshot under `inventory:snap:<instance>` and registers itself in `inventory:members`; the
 * merged view adds them up. A lost update of the member list (two instances registering at once)
 * heals at the next flush, since every flush registers again.
 *
 * @example
 * const shared = new SharedInventory(inventory, store, 'gw-1');
 * await shared.flush(); const all = await shared.collect();
 */
export class SharedInventory {
  readonly #inventory: Inventory;
  readonly #store: KeyValueStore;
  readonly #instance: string;

  constructor(inventory: Inventory, store: KeyValueStore, instance: string) {
    this.#inventory = inventory;
    this.#store = store;
    this.#instance = instance;
  }

  /** Writes this instance's snapshot and registers it. */
  async flush(now = Date.now()): Promise<void> {
    await this.#store.set(`inventory:snap:${this.#instance}`, JSON.stringify(this.#inventory.entries()), MEMBER_TTL_MS);
    const members = await this.#members();
    members[this.#instance] = now;
    for (const [id, seen] of Object.entries(members)) if (now - seen > MEMBER_TTL_MS) delete members[id];
    await this.#store.set(MEMBERS, JSON.stringify(members), MEMBER_TTL_MS);
  }

  /** Every instance's entries merged (this instance's from memory, so they are current). */
  async collect(): Promise<InventoryEntry[]> {
    const lists: InventoryEntry[][] = [this.#inventory.entries()];
    for (const id of Object.keys(await this.#members())) {
      if (id === this.#instance) continue;
      const raw = await this.#store.get(`inventory:snap:${id}`);
      if (raw === undefined) continue;
      try { lists.push(JSON.parse(raw) as InventoryEntry[]); } catch { /* a torn or foreign value: skip that instance */ }
    }
    return mergeEntries(lists);
  }

  async #members(): Promise<Record<string, number>> {
    const raw = await this.#store.get(MEMBERS);
    if (raw === undefined) return {};
    try {
      const parsed = JSON.parse(raw) as unknown;
      return parsed !== null && typeof parsed === 'object' ? parsed as Record<string, number> : {};
    } catch {
      return {};
    }
  }
}
