import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Names that record which process made them, so start-up recovery can tell leftovers of a dead
 * process from work still in progress. Used for staging directories, temp names and trash.
 * A name is `<host>-<pid>-<random hex>`; it belongs to a dead owner when the host is this one
 * and the pid is not running (a pid owned by another user still counts as running).
 */
export function ownedName(randomBytesLength = 6): string {
  return `${hostname()}-${process.pid}-${randomBytes(randomBytesLength).toString('hex')}`;
}

/** Is `pid` a running process? This process counts as running. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `name` (from ownedName) was made on this host by a process that is gone. */
export function ownerGone(name: string): boolean {
  // Names made before hosts were recorded are `<pid>-<hex>` (one host only).
  const m = /^(?:(.*)-)?(\d+)-[0-9a-f]+$/.exec(name);
  return m !== null && (m[1] === undefined || m[1] === hostname()) && !pidAlive(Number(m[2]));
}
