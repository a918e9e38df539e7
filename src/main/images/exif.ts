// Just enough of EXIF (a TIFF structure) to read when a photo was taken. Any malformation yields null:
// a missing date is normal, and a broken EXIF block must never fail an import.

const TAG_DATETIME = 0x0132;
const TAG_EXIF_IFD = 0x8769;
const TAG_DATETIME_ORIGINAL = 0x9003;
const TYPE_ASCII = 2;
const TYPE_LONG = 4;

/** DateTimeOriginal (else DateTime) as "YYYY-MM-DDTHH:MM:SS", from the EXIF buffer sharp returns. */
export function exifDate(exif: Buffer | undefined): string | null {
  if (!exif || exif.length < 14) return null;
  try {
    const start = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
    const tiff = exif.subarray(start);
    const order = tiff.subarray(0, 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') return null;
    const le = order === 'II';
    const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
    const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
    const readIfd = (offset: number): Map<number, { type: number; count: number; valueOffset: number }> => {
      const tags = new Map<number, { type: number; count: number; valueOffset: number }>();
      if (offset + 2 > tiff.length) return tags;
      const n = u16(offset);
      for (let i = 0; i < n; i++) {
        const e = offset + 2 + i * 12;
        if (e + 12 > tiff.length) break;
        tags.set(u16(e), { type: u16(e + 2), count: u32(e + 4), valueOffset: e + 8 });
      }
      return tags;
    };
    const ascii = (t: { type: number; count: number; valueOffset: number } | undefined): string | null => {
      if (!t || t.type !== TYPE_ASCII || t.count < 19) return null;
      const at = t.count > 4 ? u32(t.valueOffset) : t.valueOffset;
      if (at + 19 > tiff.length) return null;
      return tiff.subarray(at, at + 19).toString('latin1');
    };
    const ifd0 = readIfd(u32(4));
    let raw: string | null = null;
    const exifPointer = ifd0.get(TAG_EXIF_IFD);
    if (exifPointer && exifPointer.type === TYPE_LONG) raw = ascii(readIfd(u32(exifPointer.valueOffset)).get(TAG_DATETIME_ORIGINAL));
    raw ??= ascii(ifd0.get(TAG_DATETIME));
    const m = raw && /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(raw);
    if (!m || m[1] === '0000') return null;
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  } catch {
    return null;
  }
}
