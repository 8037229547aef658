/**
 * The data_coding octet from sendsms's coding, mclass, mwi, compress and alt-dcs, as Kannel's
 * fields_to_dcs() (gw/sms.c) and msg_to_pdu() (gw/smsc/smsc_smpp.c) make it (3GPP TS 23.038,
 * section 4: general coding groups 00xx, message waiting 1100-1110, class group 1111).
 */

export interface DcsFields {
  /** 0 7-bit, 1 8-bit, 2 UCS-2. */
  coding: 0 | 1 | 2;
  mclass?: number;
  mwi?: number;
  compress?: number;
  altDcs?: number;
}

export function dataCodingScheme(fields: DcsFields, hasText: boolean): number {
  const { coding, mclass, mwi, compress } = fields;
  if (mwi !== undefined && mwi >= 0) {
    if (mwi & 0x04) return (mwi & 0x03) | 0xc0;
    if (!hasText) return (mwi & 0x03) | 0x08 | 0xc0;
    return (mwi & 0x03) | 0x08 | (coding === 0 ? 0xd0 : 0xe0);
  }
  // a message class forces the 1111 group, which has no room for UCS-2 or compression
  const mode = mclass !== undefined && mclass >= 0 ? 1 : (fields.altDcs ?? 0);
  if (mode !== 1 || coding === 2 || compress === 1) {
    let dcs = coding << 2;
    if (compress === 1) dcs |= 0x20;
    if (mclass !== undefined && mclass >= 0) dcs |= 0x10 | mclass;
    return dcs;
  }
  return 0xf0 | (coding << 2) | (mclass !== undefined && mclass >= 0 ? mclass : 1);
}
