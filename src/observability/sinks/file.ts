import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileSinkConfig } from './schema.js';
import type { SinkTransport } from './sink.js';

/**
 * JSON lines file transport with size-based rotation: before a batch would take the file past
 * `maxBytes`, `path` becomes `path.1` (and `path.1` becomes `path.2`, ..., up to `keep`; the
 * oldest is deleted) and a new file is started. With `keep: 0` the file is simply truncated
 * and restarted. One batch is one write, so lines never interleave.
 *
 * @example
 * const t = createFileTransport({ ...cfg, path: '/var/log/portcullis/events.jsonl' });
 */
export function createFileTransport(c: Pick<FileSinkConfig, 'path' | 'maxBytes' | 'keep'>): SinkTransport {
  let handle: FileHandle | undefined;
  let size = 0;
  const openFile = async (): Promise<FileHandle> => {
    if (handle !== undefined) return handle;
    await mkdir(dirname(c.path), { recursive: true });
    handle = await open(c.path, 'a', 0o640);
    size = (await handle.stat()).size;
    return handle;
  };
  const rotate = async () => {
    await handle?.close();
    handle = undefined;
    if (c.keep === 0) { await rm(c.path, { force: true }); return; }
    await rm(`${c.path}.${c.keep}`, { force: true });
    for (let i = c.keep - 1; i >= 1; i--) {
      if (await exists(`${c.path}.${i}`)) await rename(`${c.path}.${i}`, `${c.path}.${i + 1}`);
    }
    if (await exists(c.path)) await rename(c.path, `${c.path}.1`);
  };
  return {
    send: async (batch) => {
      const data = Buffer.from(batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await openFile();
      if (size > 0 && size + data.length > c.maxBytes) await rotate();
      const h = await openFile();
      await h.write(data);
      size += data.length;
    },
    reset: () => { void handle?.close(); handle = undefined; },
    close: async () => { await handle?.close(); handle = undefined; },
  };
}

async function exists(p: string): Promise<boolean> {
  try { await stat(p); return true; } catch { return false; }
}
