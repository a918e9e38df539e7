// The CBAM gate overlay's colours (issue 13, "An honest overlay"): a fixed diverging scale centred on 1, never
// stretched to the map's own range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BRIGHT_RGB,
  DIM_RGB,
  formatGate,
  gateColour,
  gateLegendGradient,
  gatePixels,
  gatePosition,
  gateRange,
  GATE_SCALE_MAX,
  GATE_SCALE_MIN,
  MAX_ALPHA,
  nearUnity,
} from '../../src/renderer/lib/gate-colour';

const alpha = (g: number) => gateColour(g)[3];

test('a constant gate of 1.0 is neutral: every pixel fully transparent', () => {
  assert.equal(alpha(1), 0);
  const rgba = gatePixels(new Array<number>(16).fill(1), 4);
  assert.equal(rgba.length, 64);
  for (let i = 3; i < rgba.length; i += 4) assert.equal(rgba[i], 0);
});

test('0.5 and 1.5 are the two ends of the scale: dark blue and amber at full tint; clamped beyond', () => {
  assert.deepEqual(gateColour(GATE_SCALE_MIN), [...DIM_RGB, Math.round(MAX_ALPHA * 255)]);
  assert.deepEqual(gateColour(GATE_SCALE_MAX), [...BRIGHT_RGB, Math.round(MAX_ALPHA * 255)]);
  assert.deepEqual(gateColour(0.1), gateColour(0.5));
  assert.deepEqual(gateColour(2), gateColour(1.5));
  assert.equal(gatePosition(0.5), -1);
  assert.equal(gatePosition(1.5), 1);
  assert.equal(gatePosition(Number.NaN), 0, 'a value that is not a number is drawn as no change, not as an extreme');
});

test('monotonic: the position rises with the gate, and the tint grows away from 1 on each side with one hue per side', () => {
  let lastPos = -Infinity;
  let lastAlpha = Infinity;
  for (let g = 0.5; g <= 1.0 + 1e-9; g += 0.01) {
    const p = gatePosition(g);
    assert.ok(p >= lastPos, `position at ${g}`);
    lastPos = p;
    assert.ok(alpha(g) <= lastAlpha, `dimming tint fades towards 1 at ${g}`);
    lastAlpha = alpha(g);
    if (g < 1 - 1e-9) assert.deepEqual(gateColour(g).slice(0, 3), [...DIM_RGB]);
  }
  lastAlpha = -Infinity;
  for (let g = 1.0; g <= 1.5 + 1e-9; g += 0.01) {
    const p = gatePosition(g);
    assert.ok(p >= lastPos - 1e-12, `position at ${g}`);
    lastPos = p;
    assert.ok(alpha(g) >= lastAlpha, `brightening tint grows from 1 at ${g}`);
    lastAlpha = alpha(g);
    if (g > 1 + 1e-9) assert.deepEqual(gateColour(g).slice(0, 3), [...BRIGHT_RGB]);
  }
});

test('never stretched: a ±0.5% gate stays almost transparent, whatever its own range', () => {
  const rgba = gatePixels([0.995, 1.005, 1, 1], 2);
  assert.ok(rgba[3]! <= 3 && rgba[7]! <= 3, 'a 0.5% change is at most about 1% of the full tint');
  assert.equal(rgba[3], alpha(0.995));
  assert.notDeepEqual([...rgba.slice(0, 3)], [...rgba.slice(4, 7)], 'dimmed and brightened keep their own hues');
});

test('the range, the ±2% rule and the numbers shown', () => {
  assert.deepEqual(gateRange([1.004, 0.9951, 1]), { min: 0.9951, max: 1.004 });
  assert.deepEqual(gateRange([]), { min: 1, max: 1 });
  assert.ok(nearUnity({ min: 0.995, max: 1.005 }));
  assert.ok(nearUnity({ min: 0.98, max: 1.02 }));
  assert.ok(!nearUnity({ min: 0.97, max: 1.001 }));
  assert.ok(!nearUnity({ min: 1, max: 1.03 }));
  assert.equal(formatGate(0.99531), '0.9953');
  assert.equal(formatGate(1), '1.0000');
});

test('the legend ramp uses the canvas colours: transparent in the middle, the two tints at the ends', () => {
  const css = gateLegendGradient(2);
  assert.match(css, /^linear-gradient\(to right, /);
  assert.ok(css.includes(`rgba(${DIM_RGB.join(', ')}, ${(Math.round(MAX_ALPHA * 255) / 255).toFixed(3)}) 0.0%`), css);
  assert.ok(css.includes('0.000) 50.0%'), css);
  assert.ok(css.includes(`rgba(${BRIGHT_RGB.join(', ')}, ${(Math.round(MAX_ALPHA * 255) / 255).toFixed(3)}) 100.0%`), css);
});

test('the gate sent is the one applied: 2σ(z) for the residual gate, σ(z) for the plain one, to 1e-5', async () => {
  const { appliedGate } = await import('../../src/main/services/attention');
  const sigma = Float32Array.from([0.5, 0.5025, 0.4975, 0.500005]);
  const residual = appliedGate(sigma, 'cbam-residual');
  assert.deepEqual(residual.slice(0, 3), [1, 1.005, 0.995]);
  assert.equal(residual[3], 1.00001, 'a 0.001% change survives (1e-3 rounding made ±0.5% into ten bands)');
  assert.deepEqual(appliedGate(sigma, 'cbam-plain').slice(0, 3), [0.5, 0.5025, 0.4975]);
});
