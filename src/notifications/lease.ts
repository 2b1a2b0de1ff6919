import { randomBytes } from 'node:crypto';
import os from 'node:os';

/**
 * Who holds a claimed outbox row: "host:pid:random", one per worker. A row held by a worker whose process is gone
 * is free at once for any worker on the same host (a restart, or the other process on the machine); on another
 * host only the lease's end tells, since its processes cannot be seen from here.
 */

/** Workers alive in this process: the one process id may carry several (tests, scripts), and none of them is dead. */
const liveHere = new Set<string>();

export function newLeaseOwner(): string {
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  liveHere.add(owner);
  return owner;
}

/** The worker is closing: what it still holds becomes a dead worker's, free for others at once. */
export function endLeaseOwner(owner: string) {
  liveHere.delete(owner);
}

/** Whether the worker is known to be gone (false when it cannot be known: another host, or a process we see alive). */
export function leaseOwnerIsGone(owner: string): boolean {
  const match = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!match || match[1] !== os.hostname()) return false;
  const pid = Number(match[2]);
  // our own process id: the owner was either started here or was a process that had this id before us
  if (pid === process.pid) return !liveHere.has(owner);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists, under another user
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
