// How Reports writes intervals and differences (src/renderer/lib/format.ts), in Node: the exact text another
// flow and a screen reader rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBounds, formatFigure, formatInterval, formatPValue, formatSigned, intervalContainsZero } from '../../src/renderer/lib/format';

test('a proportion and its interval read "94.1% (95% CI 89.0–97.0%)"', () => {
  assert.equal(`${formatFigure(0.941, 'percent')} (${formatInterval([0.89, 0.97], 'percent')})`, '94.1% (95% CI 89.0–97.0%)');
  assert.equal(formatBounds([0, 1], 'percent'), '0.0–100.0%');
});

test('a score and its interval keep the score\'s three decimals', () => {
  assert.equal(formatFigure(0.5, 'decimal'), '0.500');
  assert.equal(formatInterval([0.0401, 0.0739], 'decimal'), '95% CI 0.040–0.074');
});

test('differences are signed with a true minus, and zero has no sign', () => {
  assert.equal(formatSigned(10, 1), '+10.0');
  assert.equal(formatSigned(-2.5, 1), '−2.5');
  assert.equal(formatSigned(-0.00004, 3), '0.000');
  assert.equal(formatSigned(0, 1), '0.0');
});

test('an interval of a difference that touches or straddles 0 contains it', () => {
  assert.equal(intervalContainsZero([-0.025, 0.039]), true);
  assert.equal(intervalContainsZero([0, 0.1]), true);
  assert.equal(intervalContainsZero([0.01, 0.1]), false);
  assert.equal(intervalContainsZero([-0.2, -0.01]), false);
});

test('p-values: three decimals, two significant digits when small, a floor', () => {
  assert.equal(formatPValue(0.2), 'p = 0.200');
  assert.equal(formatPValue(1), 'p = 1.000');
  assert.equal(formatPValue(0.0031), 'p = 0.0031');
  assert.equal(formatPValue(0.00001), 'p < 0.0001');
});
