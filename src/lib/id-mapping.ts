/**
 * User namespace id mappings (`--userns-remap`): the subordinate ranges of /etc/subuid and /etc/subgid,
 * the maps a container's user namespace is given, and the translation of ids between the container and
 * the host. Pure: the files' text comes in as strings, so every rule is unit-tested.
 */

/** One line of /etc/subuid or /etc/subgid: `name:start:count` (name may be a numeric id). */
export interface SubIdRange {
  name: string;
  start: number;
  count: number;
}

/** One OCI id map: `size` ids from `containerID` in the container are `hostID`... on the host. */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

/** A container's user namespace: its uid and gid maps. */
export interface IdMapping {
  uids: IdMap[];
  gids: IdMap[];
}

/** dockerd's size of the range it adds for `dockremap`, and where it starts looking for one. */
export const DEFAULT_RANGE_LENGTH = 65536;
export const DEFAULT_RANGE_START = 100000;

/**
 * Parses /etc/subuid or /etc/subgid. Blank lines and `#` comments are skipped; a malformed line is an
 * error naming it (shadow's tools would refuse the file as well).
 */
export function parseSubIdFile(text: string, file = '/etc/subuid'): SubIdRange[] {
  const out: SubIdRange[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(':');
    const [name, start, count] = parts;
    if (parts.length !== 3 || !name || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) {
      throw new Error(`${file}: line ${i + 1}: invalid subordinate id range ${JSON.stringify(line)}`);
    }
    out.push({ name, start: Number(start), count: Number(count) });
  });
  return out;
}

/** The ranges of one user (or group): lines that name it or its numeric id, in file order (as dockerd). */
export function rangesOf(ranges: SubIdRange[], name: string, id: number): SubIdRange[] {
  return ranges.filter((r) => r.count > 0 && (r.name === name || r.name === String(id)));
}

/** Ranges laid end to end from container id 0, in file order (dockerd's createIDMap). */
export function mapsFromRanges(ranges: SubIdRange[]): IdMap[] {
  let containerID = 0;
  return ranges.map((r) => {
    const map = { containerID, hostID: r.start, size: r.count };
    containerID += r.count;
    return map;
  });
}

/**
 * Where dockerd starts a new range of DEFAULT_RANGE_LENGTH ids: from 100000, moved past every existing
 * range (taken in order of their start) that the candidate would touch or contain.
 */
export function nextRangeStart(existing: SubIdRange[]): number {
  let start = DEFAULT_RANGE_START;
  for (const r of [...existing].sort((a, b) => a.start - b.start || a.count - b.count)) {
    const low = start;
    const high = start + DEFAULT_RANGE_LENGTH;
    const end = r.start + r.count;
    const touches = (low >= r.start && low <= end) || (high <= end && high >= r.start);
    // dockerd's test misses a range wholly inside the candidate; such a range is skipped too here.
    const inside = r.start >= low && end <= high;
    if (touches || inside) start = end;
  }
  return start;
}

/** The host id of container id `id`, or undefined when the maps do not cover it. */
export function toHost(maps: IdMap[], id: number): number | undefined {
  if (maps.length === 0) return id;
  const m = maps.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m ? m.hostID + (id - m.containerID) : undefined;
}

/** The container id of host id `id`, or undefined when the maps do not cover it. */
export function toContainer(maps: IdMap[], id: number): number | undefined {
  if (maps.length === 0) return id;
  const m = maps.find((x) => id >= x.hostID && id < x.hostID + x.size);
  return m ? m.containerID + (id - m.hostID) : undefined;
}

/** The host uid and gid of the container's root: who owns what the container's root creates. */
export function rootPair(mapping: IdMapping | undefined): { uid: number; gid: number } {
  if (!mapping) return { uid: 0, gid: 0 };
  const uid = toHost(mapping.uids, 0);
  const gid = toHost(mapping.gids, 0);
  if (uid === undefined || gid === undefined) throw new Error('the id maps do not map root (container id 0)');
  return { uid, gid };
}

/**
 * Owner translations for archives. An id a map does not cover has no name on the other side; as
 * dockerd's archive code does for such ids, the caller is refused rather than handed a wrong owner.
 */
export interface OwnerShift {
  /** A container (archive) owner to the host owner written to disk. */
  toHost(uid: number, gid: number): { uid: number; gid: number };
  /** A host owner read from disk to the container (archive) owner. */
  toContainer(uid: number, gid: number): { uid: number; gid: number };
}

export function ownerShift(mapping: IdMapping): OwnerShift {
  const pick = (maps: IdMap[], id: number, f: typeof toHost, what: string): number => {
    const out = f(maps, id);
    if (out === undefined) throw new Error(`${what} ${id} cannot be mapped to a ${f === toHost ? 'host' : 'container'} ID`);
    return out;
  };
  return {
    toHost: (uid, gid) => ({ uid: pick(mapping.uids, uid, toHost, 'Container ID'), gid: pick(mapping.gids, gid, toHost, 'Container ID') }),
    // Files the host gave ids outside the maps (a bind mount's) read as the overflow id, as in the kernel.
    toContainer: (uid, gid) => ({ uid: toContainer(mapping.uids, uid) ?? 65534, gid: toContainer(mapping.gids, gid) ?? 65534 }),
  };
}
