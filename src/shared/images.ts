// Image URLs, one scheme for both shells. The renderer never names a file: it asks for a specimen's
// thumbnail or full image by id, and the main process looks the file up in the catalogue.
//   <base>thumb/<id>?c=<catalogue key>   the JPEG thumbnail stored in the catalogue
//   <base>full/<id>?c=<catalogue key>    the original file of a catalogued specimen (converted if the
//                                        browser cannot show its format)
//   <base>file?path=<abs path>&c=<key>   a file by path, served only if that path belongs to a specimen
// The catalogue key changes whenever another catalogue is opened, so a URL never shows another
// catalogue's image with the same id, and the responses can be cached.

export const IMAGE_SCHEME = 'orelab-image';
export type ImageKind = 'thumb' | 'full';

export function specimenImageUrl(base: string, kind: ImageKind, specimenId: number, catalogueKey: string): string {
  return `${base}${kind}/${specimenId}?c=${encodeURIComponent(catalogueKey)}`;
}

export function fileImageUrl(base: string, filePath: string, catalogueKey: string): string {
  return `${base}file?path=${encodeURIComponent(filePath)}&c=${encodeURIComponent(catalogueKey)}`;
}

export type ImageRoute =
  | { kind: 'thumb'; specimenId: number; key: string | null }
  | { kind: 'full'; specimenId: number; key: string | null }
  | { kind: 'file'; path: string; key: string | null }
  | { kind: 'invalid'; reason: string };

/** Parses the part of an image URL after the base ("thumb/12") and its query. */
export function parseImageRoute(rest: string, query: URLSearchParams): ImageRoute {
  const key = query.get('c');
  const m = /^(thumb|full)\/([1-9][0-9]{0,15})$/.exec(rest);
  if (m) return { kind: m[1] === 'thumb' ? 'thumb' : 'full', specimenId: Number(m[2]), key };
  if (rest === 'file') {
    const p = query.get('path');
    return p ? { kind: 'file', path: p, key } : { kind: 'invalid', reason: 'file needs ?path=' };
  }
  return { kind: 'invalid', reason: `unknown image route "${rest.slice(0, 80)}"` };
}
