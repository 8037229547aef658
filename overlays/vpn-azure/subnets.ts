/**
 * IPv4 networks as the config names them (192.168.1.0/24): parsed to a range of addresses, so
 * that the checks can say which two overlap, and whether an address lies inside one.
 */

/** A network: its first address and prefix length, as numbers. */
export interface Network {
  text: string;
  first: number;
  prefix: number;
}

const toNumber = (address: string) => address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
const toAddress = (value: number) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
const sizeOf = (prefix: number) => 2 ** (32 - prefix);

/** `a.b.c.d/n` (the schema checked the form); `first` is the address with the host bits cleared. */
export function parseNetwork(text: string): Network {
  const [address = '', prefix = '32'] = text.split('/');
  const bits = Number(prefix);
  const value = toNumber(address);
  return { text, first: value - (value % sizeOf(bits)), prefix: bits };
}

/** The network's own address with its prefix: 192.168.1.7/24 -> 192.168.1.0/24. */
export const canonical = (network: Network) => `${toAddress(network.first)}/${network.prefix}`;

/** Whether the written address has host bits set (192.168.1.7/24 is an address, not a network). */
export const hasHostBits = (network: Network) => toNumber(network.text.split('/')[0]!) !== network.first;

/** Whether two networks share any address. */
export function overlaps(a: Network, b: Network): boolean {
  return a.first < b.first + sizeOf(b.prefix) && b.first < a.first + sizeOf(a.prefix);
}

/** Whether an address (with or without a /prefix) lies in the network. */
export function contains(network: Network, address: string): boolean {
  const value = toNumber(address.split('/')[0]!);
  return value >= network.first && value < network.first + sizeOf(network.prefix);
}
