/**
 * Names in the cluster's certificates that both sides rely on: `raftkv certs` writes them, a node
 * checks a peer's hello and a dialled peer against them.
 */

/** The subject CN of member `id`'s certificate. */
export function nodeCommonName(id: number): string {
  return `node-${id}`;
}

/** The member id a certificate's CN names, or null if it is not a member's (the client certificate). */
export function nodeIdOfCommonName(cn: unknown): number | null {
  const m = typeof cn === 'string' ? /^node-([1-9]\d{0,15})$/.exec(cn) : null;
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

export const CLIENT_COMMON_NAME = 'client';
