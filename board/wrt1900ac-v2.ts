/** Linksys WRT1900AC v2: cobra, Armada 385, 128 MiB NAND. Source keys: board/README.md. */
import { armada385Board } from './armada-385.js';
import { MiB } from './units.js';

export const wrt1900acV2 = armada385Board({
  id: 'wrt1900ac-v2',
  name: 'Linksys WRT1900AC v2',
  codename: 'cobra',
  dtbFile: 'armada-385-linksys-cobra.dtb', // 20,043 bytes in 6.12.107 [DEB-K]
  // OpenWrt ships 6 MiB kernels to cobra [OW-A9]; no environment dump shows the value
  readWindow: { bytes: 6 * MiB, confirmed: false },
  unverified: ['the stock priKernSize/altKernSize (0x0600000 assumed, as on caiman)', 'the Wi-Fi chain count'],
});
