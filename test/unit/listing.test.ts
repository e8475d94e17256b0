/** The listing helpers of ps and images: go-units HumanDuration ("N minutes ago") and the column writer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanAgo, humanDuration } from '../../src/cli/time.js';
import { columns } from '../../src/cli/table.js';

const now = Date.parse('2030-01-01T00:00:00Z');
const before = (ms: number) => new Date(now - ms).toISOString();
const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

test('humanDuration is go-units HumanDuration', () => {
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [1.9 * S, '1 second'],
    [59.9 * S, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [120 * S, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H + 29 * M, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [13 * D + 23 * H, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [3 * 365 * D, '3 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(before(ms), now), want, `${ms} ms`);
  assert.equal(humanDuration(new Date(now + 5 * S).toISOString(), now), 'Less than a second', 'a time in the future');
});

test('humanAgo adds " ago"; no time gives nothing', () => {
  assert.equal(humanAgo(before(5 * M), now), '5 minutes ago');
  assert.equal(humanAgo(undefined, now), '');
  assert.equal(humanAgo('not a time', now), '');
  assert.equal(humanDuration(undefined, now), '');
});

test('columns: left-aligned, 2-space gaps, the last column unpadded, trailing spaces trimmed', () => {
  assert.equal(columns([['A', 'BB', 'C'], ['aaa', '', 'c'], ['x', 'y', '']]), 'A    BB  C\naaa      c\nx    y\n');
  assert.equal(columns([['ID', 'NAME'], ['1', 'n']], 12), 'ID          NAME\n1           n\n');
  assert.equal(columns([]), '');
});
