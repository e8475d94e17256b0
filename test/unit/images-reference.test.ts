/** Reference parsing and normalisation (pure functions: no registry needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReference, parseReference } from '../../src/core/image/reference.js';
import { choosePlatform } from '../../src/core/image/pull.js';

test('references normalise like docker/podman', () => {
  const cases: Array<[string, string]> = [
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine:1', 'docker.io/library/alpine:1'],
    ['quay.io/org/app:v1', 'quay.io/org/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['127.0.0.1:5000/a/b/c:tag_1.2-x', '127.0.0.1:5000/a/b/c:tag_1.2-x'],
    [`127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`, `127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`],
    [`app:1@sha256:${'b'.repeat(64)}`, `docker.io/library/app:1@sha256:${'b'.repeat(64)}`],
    ['docker://127.0.0.1:5000/x', '127.0.0.1:5000/x:latest'],
  ];
  for (const [inp, want] of cases) assert.equal(formatReference(parseReference(inp)), want, inp);
  assert.equal(parseReference('alpine').shortName, true);
  assert.equal(parseReference('quay.io/a').shortName, false);
});

test('malformed references are refused with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['Alpine', /lowercase/],
    ['alpine:', /bad tag/],
    ['alpine:-x', /bad tag/],
    [`alpine:${'t'.repeat(129)}`, /bad tag/],
    ['alpine@sha256:xyz', /64 lowercase hex/],
    ['alpine@sha256', /algorithm:hex/],
    ['a//b', /bad repository name component/],
    ['a/-b', /bad repository name component/],
    ['host:port:x/y', /bad registry host|bad tag/],
    [' alpine', /whitespace/],
    ['', /empty/],
  ];
  for (const [inp, why] of bad) assert.throws(() => parseReference(inp), (e: Error) => why.test(e.message), inp);
});

test('platform choice from a manifest list', () => {
  const list = [
    { digest: 'sha256:arm7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { digest: 'sha256:arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
    { digest: 'sha256:att', platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    { digest: 'sha256:win', platform: { os: 'windows', architecture: 'amd64' } },
  ];
  assert.equal(choosePlatform(list, { os: 'linux', architecture: 'amd64' })?.digest, 'sha256:amd');
  assert.equal(choosePlatform(list, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, 'sha256:arm64');
  assert.equal(choosePlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, 'sha256:arm7');
  assert.equal(choosePlatform(list, { os: 'linux', architecture: 's390x' }), undefined);
});
