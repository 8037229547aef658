/** Linksys WRT1900ACS (v1, v2): shelby, Armada 385, 128 MiB NAND. Source keys: board/README.md. */
import { armada385Board } from './armada-385.js';
import { MiB } from './units.js';

export const wrt1900acs = armada385Board({
  id: 'wrt1900acs',
  name: 'Linksys WRT1900ACS',
  codename: 'shelby',
  dtbFile: 'armada-385-linksys-shelby.dtb', // 20,071 bytes in 6.12.107 [DEB-K]
  // OpenWrt ships 6 MiB kernels to shelby [OW-A9]; no environment dump shows the value
  readWindow: { bytes: 6 * MiB, confirmed: false },
  unverified: ['the stock priKernSize/altKernSize (0x0600000 assumed, as on caiman)', 'the Wi-Fi chain count'],
});
