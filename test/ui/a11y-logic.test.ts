// Accessibility logic of the renderer (issue 16), in Node: the confusion matrix's ink against its shades (WCAG
// 2.1 AA's 4.5:1 for text, computed as the browser composes the cell), and where the grid's cursor goes when the
// grid takes the focus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionBackground, confusionInk, confusionShade, contrastRatio, TEXT_CONTRAST } from '../../src/renderer/lib/heat';
import { entryCursor, moveCursor } from '../../src/renderer/lib/grid-nav';

const TEXT = [29, 35, 42] as const; // --text, what 'inherit' resolves to in a report card
const INK: Record<string, readonly [number, number, number]> = { inherit: TEXT, '#ffffff': [255, 255, 255], '#000000': [0, 0, 0] };

test('contrast ratios as WCAG defines them', () => {
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]), 21);
  assert.equal(contrastRatio([255, 255, 255], [0, 0, 0]), 21, 'symmetric');
  assert.equal(contrastRatio([119, 119, 119], [119, 119, 119]), 1);
  // #767676 on white is the well-known 4.54:1, just over AA.
  assert.ok(Math.abs(contrastRatio([0x76, 0x76, 0x76], [255, 255, 255]) - 4.54) < 0.01);
  // The case: white on rgba(31, 122, 77, 0.9) over white (#35875f) was 4.39:1.
  assert.ok(Math.abs(contrastRatio([255, 255, 255], [0x35, 0x87, 0x5f]) - 4.39) < 0.01);
});

test('every confusion cell, of any share of any row up to 200, has its ink at 4.5:1 or more on its shade', () => {
  let worst = Infinity;
  for (let rowTotal = 1; rowTotal <= 200; rowTotal++) {
    for (let count = 1; count <= rowTotal; count++) {
      const ink = INK[confusionInk(count, rowTotal)];
      assert.ok(ink, confusionInk(count, rowTotal));
      for (const diagonal of [true, false]) {
        const bg = confusionBackground(count, rowTotal, diagonal)!;
        assert.equal(confusionShade(count, rowTotal, diagonal), `rgb(${bg.join(', ')})`, 'the shade is the colour checked');
        const ratio = contrastRatio(ink, bg);
        worst = Math.min(worst, ratio);
        assert.ok(ratio >= TEXT_CONTRAST, `${count} of ${rowTotal} (${diagonal ? 'diagonal' : 'off'}): ${confusionInk(count, rowTotal)} on rgb(${bg}) is ${ratio.toFixed(2)}:1`);
      }
    }
  }
  assert.ok(worst >= TEXT_CONTRAST, String(worst));
  // The page's text colour where it reads, white on the darkest cells.
  assert.equal(confusionInk(1, 10), 'inherit');
  assert.equal(confusionInk(10, 10), '#ffffff');
  assert.equal(confusionInk(0, 10), 'inherit', 'an empty cell has no shade');
  assert.equal(confusionShade(0, 10, true), 'transparent');
  assert.equal(confusionBackground(3, 0, true), null);
});

test('the grid taking the focus puts the cursor on the first card, or keeps it where it was', () => {
  assert.equal(entryCursor(null, 804), 0, 'the first card, no arrow key needed');
  assert.equal(entryCursor(17, 804), 17, 'the last-focused card');
  assert.equal(entryCursor(900, 804), 803, 'a list that shrank: its last card');
  assert.equal(entryCursor(null, 0), null, 'an empty grid has no cursor');
  assert.equal(entryCursor(5, 0), null);
  // From there the arrows move as before: ArrowRight goes to the second card, not the first.
  assert.equal(moveCursor(entryCursor(null, 804), 'ArrowRight', 6, 804), 1);
});
