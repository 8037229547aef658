import test from 'ava';
import { compareDebianVersions } from '../../rootfs/debian-version.js';

const orders = test.macro({
  exec(t, lower: string, higher: string) {
    t.true(compareDebianVersions(lower, higher) < 0, `${lower} < ${higher}`);
    t.true(compareDebianVersions(higher, lower) > 0, `${higher} > ${lower}`);
  },
  title: (_, lower: string, higher: string) => `${lower} sorts before ${higher}`,
});

// the kernel of issue 15: trixie had 6.12.117-1, trixie-security 6.12.118-1
test(orders, '6.12.117-1', '6.12.118-1');
test(orders, '6.12.9-1', '6.12.10-1');
test(orders, '6.12.115-1', '6.12.115-2');
test(orders, '6.12.115-2', '6.12.116-1');
test(orders, '1.0~rc1-1', '1.0-1');
test(orders, '1.0~~', '1.0~');
test(orders, '1.0', '1.0a');
test(orders, '1.0a', '1.0+');
test(orders, '1.0-1', '1.0-1+deb13u1');
test(orders, '1.0-1+b1', '1.0-1.1');
test(orders, '9.9-1', '1:0.1-1');
test(orders, '2.30-1', '2.100-1');
test(orders, '1.0-99999999999999999999', '1.0-100000000000000000000');

const equal = test.macro({
  exec(t, a: string, b: string) {
    t.is(compareDebianVersions(a, b), 0);
  },
  title: (_, a: string, b: string) => `${a} equals ${b}`,
});
test(equal, '1.0-1', '1.0-1');
test(equal, '0:1.0-1', '1.0-1');
test(equal, '1.00-1', '1.0-01');
