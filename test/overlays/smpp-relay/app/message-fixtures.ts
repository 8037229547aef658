/** A stored message for the relay's unit tests: one recipient, `parts` plain parts, no receipt asked for. */
import type { StoredMessage } from '../../../../overlays/smpp-relay/app/store.js';

export function storedMessage(id: string, parts = 1, change: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id,
    user: 'app',
    from: 'McDebian',
    to: '358401234567',
    dataCoding: 0,
    esmClass: parts > 1 ? 0x40 : 0,
    parts: Array.from({ length: parts }, (_, index) => Buffer.from(`part ${index}`).toString('base64')),
    dlrMask: 0,
    text: 'hello',
    coding: 0,
    acceptedAt: 0,
    ...change,
  };
}
