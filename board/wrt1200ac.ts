/** Linksys WRT1200AC (v1, v2): caiman, Armada 385, 128 MiB NAND. Source keys: board/README.md. */
import { armada385Board } from './armada-385.js';
import { MiB } from './units.js';

export const wrt1200ac = armada385Board({
  id: 'wrt1200ac',
  name: 'Linksys WRT1200AC',
  codename: 'caiman',
  dtbFile: 'armada-385-linksys-caiman.dtb', // 20,071 bytes in 6.12.107 [DEB-K]
  readWindow: { bytes: 6 * MiB, confirmed: true }, // altKernSize=0x0600000 [DOOZAN WRT1200AC v2; PR22761]
  unverified: ['the stock values of priKernAddr and defaultLoadAddr (expected 0xa00000 and 0x2000000)'],
});
