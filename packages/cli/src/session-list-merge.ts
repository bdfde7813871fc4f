import type { Session } from "@tickscope/core";

/**
 * Lists each session once: a session found in several captures of a run (a
 * rotation cut it: `tcpdump -G` files) is tracked afresh in each file, so it
 * arrives once per file with that file's counters. The merged entry keeps the
 * first occurrence's place, roles, region and player, its first time, the
 * latest last time, and the sum of its packets and bytes per direction. Used by
 * `analyze` (several captures) and `merge` (several partials) alike, so both
 * list the same sessions. The given objects are not changed.
 */
export function mergeSessionLists(sessions: readonly Session[]): Session[] {
  const merged: Session[] = [];
  const byId = new Map<string, Session>();
  for (const session of sessions) {
    const earlier = byId.get(session.id);
    if (earlier === undefined) {
      const copy: Session = { ...session, clientToServer: { ...session.clientToServer }, serverToClient: { ...session.serverToClient } };
      byId.set(session.id, copy);
      merged.push(copy);
      continue;
    }
    earlier.firstUs = Math.min(earlier.firstUs, session.firstUs);
    earlier.lastUs = Math.max(earlier.lastUs, session.lastUs);
    earlier.clientToServer.packets += session.clientToServer.packets;
    earlier.clientToServer.bytes += session.clientToServer.bytes;
    earlier.serverToClient.packets += session.serverToClient.packets;
    earlier.serverToClient.bytes += session.serverToClient.bytes;
  }
  return merged;
}
