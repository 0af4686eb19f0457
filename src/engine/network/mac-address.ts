import { InvalidArgumentError } from '../../lib/errors.js';

/**
 * A MAC address as Go's net.ParseMAC reads the 48-bit forms (`02:42:ac:11:00:02`, `02-42-ac-11-00-02`,
 * `0242.ac11.0002`), written as `ip link` and `docker inspect` show it: lower case, colons.
 * InvalidArgumentError `invalid MAC address x` otherwise (dockerd's words); an EUI-64 or InfiniBand
 * address (which ParseMAC also takes) cannot name a veth, nor can a multicast one, so both are refused
 * here, where dockerd fails the start.
 */
export function parseMac(text: string): string {
  const hex = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/.test(text)
    ? text.replace(/[:-]/g, '')
    : /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(text) ? text.replace(/\./g, '') : undefined;
  if (!hex) throw new InvalidArgumentError(`invalid MAC address ${text}`);
  // The kernel refuses a group address on an interface; say so at create, not as a failed start.
  if (parseInt(hex.slice(0, 2), 16) & 1) throw new InvalidArgumentError(`invalid MAC address ${text}: a multicast address cannot be an interface's`);
  return hex.toLowerCase().match(/../g)!.join(':');
}
