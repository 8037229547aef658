/**
 * The overlay registry. Service overlays (callhome, dns-blacklist, vpn-azure, smpp-relay,
 * vote-backend, ec2-sync) register here as they are built; mcdebian.yaml's `overlays:` section
 * accepts exactly these names.
 */

/** Names of the overlays McDebian ships. */
export const overlayNames: readonly string[] = [];
