import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { assignSplits, openDatabase } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';

/** A real JPEG of a smooth colour gradient, distinct per seed. */
export async function makeJpeg(seed: number, width = 64, height = 48): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 4 + seed * 37) & 255;
      raw[i + 1] = (y * 5 + seed * 91) & 255;
      raw[i + 2] = (x + y + seed * 13) & 255;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/**
 * A PNG whose header claims a huge canvas while the file stays tiny: the shape of a decompression bomb.
 * Only the first rows are present; a decoder that honours the header would allocate width*height pixels.
 */
export function makePngBomb(width = 30000, height = 30000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * 4); // four zero rows, filter byte 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A catalogue of `perClass` synthetic JPEGs in each class folder of `dir/photos`, imported with folder labels
 * and split 8:1:1 (seed 0): the small real catalogue that eval and classify tests score.
 */
export async function labeledJpegCatalogue(dir: string, classes: readonly string[], perClass = 6): Promise<{ file: string; photos: string }> {
  const photos = path.join(dir, 'photos');
  for (const [c, name] of classes.entries()) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    for (let i = 0; i < perClass; i++) fs.writeFileSync(path.join(photos, name, `${i}.jpg`), await makeJpeg(50 * c + i, 40, 36));
  }
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: photos, labelsFromFolders: true });
  assignSplits(db, 0);
  db.close();
  return { file, photos };
}
