/**
 * The overlay registry: mcdebian.yaml's `overlays:` section accepts exactly these names, each
 * with its own schema.
 */
import { callhome } from './callhome/overlay.js';
import { dnsBlacklist } from './dns-blacklist/overlay.js';
import { smppRelay } from './smpp-relay/overlay.js';
import { voteBackend } from './vote-backend/overlay.js';
import { vpnAzure } from './vpn-azure/overlay.js';
import type { Overlay } from './overlay.js';

/** The overlays McDebian ships, in the order they render. */
export const overlays: readonly Overlay[] = [callhome, dnsBlacklist, smppRelay, vpnAzure, voteBackend];

/** Names of the overlays McDebian ships. */
export const overlayNames: readonly string[] = overlays.map((overlay) => overlay.name);
