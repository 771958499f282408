export type { Outbound, OutboundBytes, OutboundFailure, OutboundHead, OutboundJson, OutboundOptions, OutboundRequest, OutboundText, ResolvedAddress, Resolver } from './types'
export { createOutbound, systemResolver } from './fetch'
export { OutboundError, isOutboundError } from './errors'
export { isPublicAddress, isThisMachine } from './address-policy'

/** The User-Agent of every outbound request: product, version and where to learn who is calling. */
export function outboundUserAgent(version: string, siteUrl: string): string {
  return `StarPunk/${version} (+${siteUrl})`
}
