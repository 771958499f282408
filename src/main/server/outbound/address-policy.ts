import { BlockList, isIP } from 'node:net'
import { networkInterfaces } from 'node:os'

/**
 * Addresses an outbound request must not reach unless private targets are allowed: loopback, private
 * networks, link-local, unique-local, carrier-grade NAT, multicast, documentation and reserved ranges.
 * BlockList also matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against the IPv4 rules.
 */
const NOT_PUBLIC = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6')
}

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')
LOOPBACK.addAddress('0.0.0.0', 'ipv4')
LOOPBACK.addAddress('::', 'ipv6')

function family(address: string): 'ipv4' | 'ipv6' | null {
  const kind = isIP(address)
  return kind === 4 ? 'ipv4' : kind === 6 ? 'ipv6' : null
}

/** True for an address on the public internet; false for private, loopback, link-local and reserved ones (and non-addresses). */
export function isPublicAddress(address: string): boolean {
  const kind = family(address)
  if (!kind) return false
  return !NOT_PUBLIC.check(address, kind)
}

/**
 * True when the address is this machine: loopback, the unspecified address, or one of its interfaces.
 * A server listening on 0.0.0.0 answers on all of them, so any of them with our port is "us".
 */
export function isThisMachine(address: string): boolean {
  const kind = family(address)
  if (!kind) return false
  if (LOOPBACK.check(address, kind)) return true
  const plain = address.toLowerCase().replace(/^::ffff:/, '')
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.address.toLowerCase() === plain) return true
  }
  return false
}
