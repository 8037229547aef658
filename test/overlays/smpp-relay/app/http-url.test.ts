import test from 'ava';
import { httpUrlProblem, redactUrl } from '../../../../overlays/smpp-relay/app/http-url.js';

const usable = test.macro({
  exec(t, url: string, problem: string | undefined) {
    t.is(httpUrlProblem(url), problem);
  },
  title: (_given, url: string, problem: string | undefined) => `${JSON.stringify(url)} ${problem ?? 'can be fetched'}`,
});

test(usable, 'http://app.example/dlr?type=%d', undefined);
test(usable, 'HTTPS://127.0.0.1:8443/', undefined);
test(usable, 'http://[::1]/dlr', undefined);
test(usable, 'http:///', 'is not an absolute URL with a host');
test(usable, 'http://', 'is not an absolute URL with a host');
test(usable, 'http://:80/x', 'is not an absolute URL with a host');
test(usable, 'http:///dlr?type=%d', 'has no host');
test(usable, 'http:/app.example/dlr', 'has no host');
test(usable, 'https:\\\\app.example\\dlr', 'has no host');
test(usable, 'dlr?type=1', 'is not an absolute URL with a host');
test(usable, 'file:///etc/passwd', 'is file: not http: or https:');
test(usable, 'javascript:alert(1)', 'is javascript: not http: or https:');

const redacts = test.macro({
  exec(t, url: string, shown: string) {
    t.is(redactUrl(url), shown);
  },
  title: (_given, url: string, shown: string) => `${url} shows as ${shown}`,
});

test(redacts, 'http://user:pw@app.example/dlr', 'http://***@app.example/dlr');
test(redacts, 'https://token@app.example/', 'https://***@app.example/');
test(redacts, 'http://app.example/dlr?user=me&pass=x&type=1', 'http://app.example/dlr?user=me&pass=***&type=1');
test(redacts, 'http://app.example/?api_key=abc#frag', 'http://app.example/?api_key=***#frag');
test(redacts, 'http://app.example/dlr?type=%d&to=%p', 'http://app.example/dlr?type=%d&to=%p');
test(redacts, 'not a url with pwd=1 but &Password=2', 'not a url with pwd=1 but &Password=***');
