/**
 * listenClash: which two hosts cannot both listen on one port, decided without DNS.
 */
import t from 'tap';
import { listenClash, showHostPort } from '../../src/protocol/listen-address.js';

/** [a, b, expected]: null = may coexist; '' = plainly the same host; a RegExp = the explanation. */
const CASES: Array<[string, string, string | RegExp | null]> = [
  ['127.0.0.1', '127.0.0.1', ''],
  ['node1.example', 'node1.example', ''],
  ['localhost', '127.0.0.1', /^localhost and 127\.0\.0\.1 are both this machine's loopback$/],
  ['LocalHost', 'localhost', /both this machine's loopback/],
  ['127.0.0.2', '127.0.0.1', /both this machine's loopback/],
  ['127.255.255.254', 'localhost', /both this machine's loopback/],
  ['::1', '127.0.0.1', /^::1 and 127\.0\.0\.1 are both this machine's loopback$/],
  ['0:0:0:0:0:0:0:1', 'localhost', /both this machine's loopback/],
  ['0.0.0.0', '127.0.0.1', /^0\.0\.0\.0 listens on every address$/],
  ['10.0.0.2', '0.0.0.0', /^0\.0\.0\.0 listens on every address$/],
  ['::', 'node1.example', /^:: listens on every address$/],
  ['0:0::0', '10.0.0.2', /^0:0::0 listens on every address$/],
  ['0.0.0.0', '::', /listens on every address/],
  ['fe80::1', 'FE80:0:0::1', /^fe80::1 and FE80:0:0::1 are the same host$/],
  ['Node1.Example', 'node1.example', /are the same host/],
  // May coexist: different hosts, or nothing known without DNS.
  ['127.0.0.1', '10.0.0.2', null],
  ['::1', 'fe80::1', null],
  ['localhost', 'node1.example', null],
  ['10.0.0.1', '10.0.0.2', null],
];

t.test('listenClash: loopback is one host, a wildcard clashes with anything, no DNS', async (t) => {
  for (const [a, b, want] of CASES) {
    const got = listenClash(a, b);
    if (want instanceof RegExp) t.match(got, want, `${a} vs ${b}`);
    else t.equal(got, want, `${a} vs ${b}`);
    t.equal(listenClash(b, a) === null, want === null, `${b} vs ${a}: symmetric`);
  }
});

t.test('showHostPort brackets IPv6 hosts', async (t) => {
  t.equal(showHostPort('127.0.0.1', 7001), '127.0.0.1:7001');
  t.equal(showHostPort('::1', 7001), '[::1]:7001');
});
