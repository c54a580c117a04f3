/**
 * Reads the client password from its file (cluster.json `security.passwordFile`). The file must
 * not be readable by anyone but its owner (mode 0600, as ssh insists for keys): a password others
 * can read protects nothing, and saying so at start beats finding out later. One trailing newline
 * is dropped (editors add one). The password itself never appears in an error or log line.
 */
import { readFileSync, statSync } from 'node:fs';
import { RaftKvError } from '../protocol/errors.js';

export function readPasswordFile(path: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RaftKvError('BAD_CONFIG', `password file ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new RaftKvError('BAD_CONFIG', `password file ${path}: readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new RaftKvError('BAD_CONFIG', `password file ${path}: empty`);
  return password;
}
