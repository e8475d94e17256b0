/**
 * Image reference parsing (src/core/image/reference.ts) beyond the common normalisations that
 * test/images-reference.test.ts covers: hosts, digests, defaults, the stored-name helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReference, looksLikeId, parseReference, repoName, splitName, validateDigest } from '../../src/core/image/reference.js';

const A64 = 'a'.repeat(64);

test('hosts: ports, IPv6, localhost, docker.io aliases', () => {
  const cases: Array<[string, string, string]> = [
    ['localhost:5000/app', 'localhost:5000', 'app'],
    ['[::1]:5000/app:1', '[::1]:5000', 'app'],
    ['my-registry.example.com/team/app', 'my-registry.example.com', 'team/app'],
    ['registry-1.docker.io/x', 'docker.io', 'library/x'],
    ['docker.io/org/x', 'docker.io', 'org/x'],
    // a first component with a dot, a colon or "localhost" is a host; otherwise it is part of the path
    ['org/team/app', 'docker.io', 'org/team/app'],
  ];
  for (const [inp, registry, repository] of cases) {
    const r = parseReference(inp);
    assert.equal(r.registry, registry, inp);
    assert.equal(r.repository, repository, inp);
    assert.equal(r.shortName, registry === 'docker.io' && !inp.includes('docker.io/'), inp);
  }
  assert.equal(repoName(parseReference('alpine')), 'docker.io/library/alpine');
});

test('tags and digests: defaults, both at once, sha512', () => {
  assert.equal(parseReference('alpine').tag, 'latest');
  assert.equal(parseReference('alpine', { defaultTag: false }).tag, undefined);
  const byDigest = parseReference(`alpine@sha256:${A64}`);
  assert.equal(byDigest.tag, undefined); // a digest alone gets no default tag
  assert.equal(byDigest.digest, `sha256:${A64}`);
  const both = parseReference(`quay.io/a/b:v2@sha256:${A64}`);
  assert.equal(both.tag, 'v2');
  assert.equal(formatReference(both), `quay.io/a/b:v2@sha256:${A64}`);
  validateDigest(`sha512:${'f'.repeat(128)}`);
  assert.throws(() => validateDigest(`sha512:${'f'.repeat(64)}`), /128 lowercase hex/);
  assert.throws(() => validateDigest(`md5:${'f'.repeat(32)}`), /unsupported algorithm md5/);
  assert.throws(() => validateDigest(`sha256:${'A'.repeat(64)}`), /64 lowercase hex/);
  // a port is not a tag
  assert.equal(parseReference('localhost:5000/app').tag, 'latest');
});

test('limits and malformed names', () => {
  assert.throws(() => parseReference('x'.repeat(4097)), /too long/);
  assert.throws(() => parseReference(`quay.io/${'a'.repeat(250)}`), /repository name too long/);
  assert.throws(() => parseReference(':tag'), /no repository name/);
  assert.throws(() => parseReference('a/b_/c'), /bad repository name component/);
  assert.throws(() => parseReference('bad_host!/x'), /bad repository name component|bad registry host/);
  assert.throws(() => parseReference('alpine\n'), /whitespace/);
  // the error names the input
  assert.throws(() => parseReference('Alpine'), /invalid reference "Alpine"/);
});

test('stored names and ids', () => {
  assert.deepEqual(splitName('docker.io/library/alpine:3.19'), { repo: 'docker.io/library/alpine', tag: '3.19' });
  assert.deepEqual(splitName('localhost:5000/app'), { repo: 'localhost:5000/app', tag: '<none>' });
  assert.deepEqual(splitName('localhost:5000/app:v1'), { repo: 'localhost:5000/app', tag: 'v1' });
  assert.equal(looksLikeId('abc'), true);
  assert.equal(looksLikeId(`sha256:${A64}`), true);
  assert.equal(looksLikeId('ab'), false);
  assert.equal(looksLikeId('alpine'), false);
  assert.equal(looksLikeId('a'.repeat(65)), false);
});
