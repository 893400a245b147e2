/**
 * File identity for the checkpoint: size + SHA-256 of the first MiB. It survives moving or copying
 * the file (a path or mtime would not) and changes when the content that decides line numbers
 * changes; a file that only grew gets a new identity (the ledger makes the re-run cheap).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const HEAD_BYTES = 1024 * 1024;

export interface FileIdentity {
  size: number;
  headSha256: string;
  /** Short stable id: 16 hex of sha256(size + head hash). */
  id: string;
}

export async function fileIdentity(file: string): Promise<FileIdentity> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    if (head.length > 0) await handle.read(head, 0, head.length, 0);
    const headSha256 = createHash('sha256').update(head).digest('hex');
    const id = createHash('sha256').update(`${size}:${headSha256}`).digest('hex').slice(0, 16);
    return { size, headSha256, id };
  } finally {
    await handle.close();
  }
}
