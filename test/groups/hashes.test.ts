import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { areaResample, bitsToHex, dhashOfPixels, greyOf, hashesOfPixels, photoHashes, phashOfPixels } from '../../src/main/images/phash';
import { hammingDistance, nearPairs, packedDistance, packHashes, popcount32 } from '../../src/main/images/hamming';

/** A deterministic, tie-free grey pattern (the same formula generated the Python reference values below). */
function pattern(width: number, height: number, seed: number): number[] {
  const pixels: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.push((x * 37 + y * 91 + x * y * 13 + seed * 59 + ((x * x * 7 + y * y * 3) % 17)) % 256);
  return pixels;
}

// Reference values from Python, on the same pixels: imagehash.phash's own steps
// (scipy.fftpack.dct over axis 0 then 1, the 8×8 top-left block, > its numpy.median), and imagehash.dhash's
// bits (right pixel > left), whose complement is ours (left > right) when no two neighbours are equal.
const PHASH_REFERENCE = ['b1a5cef1108ecb53', '9816cad0f2efc570', '88fab38a8a47fc8a'];
const IMAGEHASH_DHASH_REFERENCE = ['fddfbbedb66ab595', 'fbbe77db6dd6aa55', 'ef7deeb76bb56a55'];

test('pHash of 32×32 grey pixels is bit for bit the one Python imagehash computes', () => {
  for (const [seed, expected] of PHASH_REFERENCE.entries()) assert.equal(phashOfPixels(pattern(32, 32, seed)), expected, `seed ${seed}`);
});

test('dHash of 9×8 grey pixels: a pixel brighter than its right neighbour sets the bit (imagehash sets the opposite)', () => {
  for (const [seed, imagehash] of IMAGEHASH_DHASH_REFERENCE.entries()) {
    const ours = dhashOfPixels(pattern(9, 8, seed));
    assert.equal(hammingDistance(ours, imagehash), 64, `seed ${seed}: ${ours} is not the complement of ${imagehash}`);
  }
  // Brightness falling to the right in every row: every bit set; rising: none.
  const falling = Array.from({ length: 72 }, (_, i) => 255 - (i % 9) * 20);
  assert.equal(dhashOfPixels(falling), 'ffffffffffffffff');
  assert.equal(dhashOfPixels(falling.map((v) => 255 - v)), '0000000000000000');
});

test('bits are written most significant first, 4 to a hex digit', () => {
  const bits = (set: number[]) => Array.from({ length: 64 }, (_, i) => set.includes(i));
  assert.equal(bitsToHex(bits([])), '0000000000000000');
  assert.equal(bitsToHex(bits([0])), '8000000000000000');
  assert.equal(bitsToHex(bits([63])), '0000000000000001');
  assert.equal(bitsToHex(bits([3, 4, 32])), '1800000080000000');
  assert.throws(() => bitsToHex(bits([]).slice(1)), /64 bits/);
});

test('popcount and Hamming distance over the two 32-bit halves', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(0xffffffff), 32);
  assert.equal(popcount32(0x80000001), 2);
  assert.equal(popcount32(0x0f0f0f0f), 16);
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hammingDistance('8000000000000001', '0000000000000000'), 2);
  assert.equal(hammingDistance('00000000ffffffff', 'ffffffff00000000'), 64);
  assert.equal(hammingDistance('0123456789abcdef', '0123456789abcdef'), 0);
  assert.equal(hammingDistance('0123456789abcdef', '1123456789abcdee'), 2);
  assert.throws(() => packHashes(['0123']), /16 hex digits/);
  assert.throws(() => packHashes(['0123456789ABCDEF']), /16 hex digits/);
});

test('nearPairs finds exactly the pairs within the distance a pair-by-pair count finds', () => {
  let state = 12345;
  const random32 = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const base = Array.from({ length: 40 }, () => random32().toString(16).padStart(8, '0') + random32().toString(16).padStart(8, '0'));
  // Some near copies: a few bits flipped.
  const hexes = [...base, ...base.slice(0, 10).map((h, i) => (BigInt('0x' + h) ^ (1n << BigInt(i)) ^ (1n << BigInt(40 + i))).toString(16).padStart(16, '0'))];
  const words = packHashes(hexes);
  for (const max of [2, 12, 30]) {
    const expected: string[] = [];
    for (let i = 0; i < hexes.length; i++) for (let j = i + 1; j < hexes.length; j++) if (packedDistance(words, i, j) <= max) expected.push(`${i}-${j}:${packedDistance(words, i, j)}`);
    assert.deepEqual(nearPairs(words, max).map((p) => `${p.i}-${p.j}:${p.distance}`), expected, `max ${max}`);
  }
  assert.ok(nearPairs(words, 2).length >= 10, 'the flipped copies are found');
});

test('grey is ITU-R 601 luma; transparency counts as white; an area resample of a flat image is flat', () => {
  assert.deepEqual([...greyOf(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]), 3)].map((v) => +v.toFixed(3)), [76.245, 149.685, 29.07]);
  assert.deepEqual([...greyOf(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255]), 4)], [255, 0]);
  assert.deepEqual([...greyOf(Uint8Array.from([10, 128]), 2)].map((v) => +v.toFixed(3)), [+(10 * (128 / 255) + 255 * (1 - 128 / 255)).toFixed(3)]);
  assert.ok([...areaResample(new Array(32 * 32).fill(77), 32, 32, 9, 8)].every((v) => Math.abs(v - 77) < 1e-9));
  // Each output pixel averages its share: a left half of 0 and a right half of 100 averaged into 2 columns.
  const halves = Array.from({ length: 32 * 32 }, (_, i) => (i % 32 < 16 ? 0 : 100));
  assert.deepEqual([...areaResample(halves, 32, 32, 2, 1)], [0, 100]);
});

test('photoHashes reads an encoded image through sharp: same pixels, same hashes; hashesOfPixels wants 32×32', async () => {
  const raw = Buffer.from(pattern(64, 64, 4).flatMap((v) => [v, 255 - v, (v * 3) % 256]));
  const png = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
  const { data, info } = await sharp(png).resize(32, 32, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual(await photoHashes(png), hashesOfPixels(data, info.width, info.height, info.channels));
  assert.match((await photoHashes(png)).phash, /^[0-9a-f]{16}$/);
  assert.throws(() => hashesOfPixels(data, 16, 64, 3), /32×32/);
});
