import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SandboxClock } from './clock.ts';
import { GraphError, invalidParameter } from './errors.ts';
import { newMediaId } from './ids.ts';

/** A stored media file (uploaded by the business, or sent by a simulated user). */
export interface StoredMedia {
  id: string;
  bytes: Buffer;
  mimeType: string;
  /** Base64 SHA-256, as Meta gives it. */
  sha256: string;
  filename?: string;
}

/** spec §2.5: media download URLs expire after 5 minutes. */
export const MEDIA_URL_TTL_MS = 5 * 60_000;

const MB = 1024 * 1024;

/** Upload size limits by MIME type (spec §2.5); types not listed are rejected. */
export function mediaSizeLimit(mimeType: string): number | undefined {
  const mime = mimeType.split(';')[0]!.trim().toLowerCase();
  if (mime === 'image/jpeg' || mime === 'image/png') return 5 * MB;
  if (mime === 'image/webp') return 500 * 1024; // stickers: 100 KB static, 500 KB animated
  if (['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'].includes(mime)) return 16 * MB;
  if (mime === 'video/mp4' || mime === 'video/3gpp') return 16 * MB;
  if (mime === 'text/plain' || mime === 'application/pdf' || mime.startsWith('application/')) return 100 * MB;
  return undefined;
}

/** Rejects an upload Meta would reject: unsupported type, empty or oversized file. */
export function checkUpload(mimeType: string, size: number): void {
  const limit = mediaSizeLimit(mimeType);
  if (limit === undefined) {
    throw invalidParameter(
      `Param file must be a file with one of the supported media types - got "${mimeType}".`,
    );
  }
  if (size === 0) throw invalidParameter('Param file must not be empty.');
  if (size > limit) {
    throw new GraphError(131053, {
      details: `Media file size ${size} bytes exceeds the limit of ${limit} bytes for ${mimeType}.`,
    });
  }
}

/**
 * Media the sandbox holds, and the short-lived download URLs it hands out. A URL carries the media id,
 * its expiry (sandbox seconds) and an HMAC of both, so it cannot be forged or extended; downloads
 * still need the Bearer token (spec §2.5).
 */
export class MediaStore {
  readonly #files = new Map<string, StoredMedia>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly secret: string,
  ) {}

  put(bytes: Buffer, mimeType: string, filename?: string): StoredMedia {
    const media: StoredMedia = {
      id: newMediaId(),
      bytes,
      mimeType,
      sha256: createHash('sha256').update(bytes).digest('base64'),
      filename,
    };
    this.#files.set(media.id, media);
    return media;
  }

  get(id: string): StoredMedia | undefined {
    return this.#files.get(id);
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }

  /** A download URL under `baseUrl`, valid for 5 sandbox minutes. */
  issueUrl(id: string, baseUrl: string): string {
    const ext = Math.floor((this.clock.now() + MEDIA_URL_TTL_MS) / 1000);
    const hash = this.#sign(id, ext);
    return `${baseUrl}/lookaside/whatsapp_business/attachments/?mid=${id}&ext=${ext}&hash=${hash}`;
  }

  /** The media a download URL points to, if the URL is genuine, unexpired and the media still exists. */
  resolveDownload(query: { mid?: string; ext?: string; hash?: string }): StoredMedia | undefined {
    const { mid, ext, hash } = query;
    if (!mid || !ext || !hash || !/^\d+$/.test(ext)) return undefined;
    const expected = Buffer.from(this.#sign(mid, Number(ext)));
    const given = Buffer.from(hash);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    if (this.clock.now() >= Number(ext) * 1000) return undefined;
    return this.#files.get(mid);
  }

  #sign(id: string, ext: number): string {
    return createHmac('sha256', this.secret).update(`${id}:${ext}`).digest('base64url').slice(0, 32);
  }
}
