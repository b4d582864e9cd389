// Checkpoints in the safetensors layout: 8-byte little-endian header length, a JSON
// header (name → dtype, shape, byte offsets, plus __metadata__), then raw float32.
// The metadata carries config, corpus version, seed, training curve and a content hash;
// loading validates shapes and hash and names the problem.
//
// Hash versions. v2 (hash_version: 2 in the metadata, written since the submission server):
// content_hash = sha256 over the canonical JSON of the metadata and then every tensor's name,
// shape and bytes, so an edited id or config (e.g. AbsTopK, which no tensor records) is a
// different checkpoint. Left out of the hash: the hash fields themselves, and when and how long
// (`created`, `train_wall_s`), so that the same training repeated is the same checkpoint. v1 (no hash_version, older files):
// content_hash covered the tensor bytes only; such a file still loads (its stored hash is checked
// against its tensors), and the hash it is known by — `identityHash` — is computed with the v2
// rule, so a v1 file and the same file re-saved as v2 have one identity, and an edited v1 file
// does not keep the identity of the original.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fs.ts';
import { UserError } from '../util/errors.ts';
import { canonicalJson } from '../util/json.ts';

export const HASH_VERSION = 2;

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

const TensorEntry = z.object({
  dtype: z.literal('F32'),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** v1: tensor names, shapes and bytes only (kept to verify older files). */
export function tensorHash(tensors: NamedArray[]): string {
  const h = createHash('sha256');
  for (const t of tensors) {
    h.update(t.name);
    h.update(JSON.stringify(t.shape));
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** Metadata keys a v2 hash does not cover: the hash itself, and when and how long it took. */
const UNHASHED = new Set(['content_hash', 'hash_version', 'created', 'train_wall_s']);

/** The metadata a v2 hash covers. */
function hashedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => !UNHASHED.has(k)));
}

/** v2: the metadata (canonical JSON) and then the tensors, so neither can change under one hash. */
export function contentHash(tensors: NamedArray[], metadata: Record<string, unknown>): string {
  const h = createHash('sha256');
  h.update(`faithbench-checkpoint-v${HASH_VERSION}\0`);
  h.update(canonicalJson(hashedMetadata(metadata)));
  h.update('\0');
  for (const t of tensors) {
    h.update(t.name);
    h.update(JSON.stringify(t.shape));
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** Serialise tensors + metadata (a JSON-able object, stored under __metadata__.faithbench). */
export function encodeSafetensors(tensors: NamedArray[], metadata: Record<string, unknown>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // JSON round trip first, so the hash covers exactly what a reader will parse back
  const { content_hash: _h, hash_version: _v, ...meta } = JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
  header.__metadata__ = { faithbench: JSON.stringify({ ...meta, hash_version: HASH_VERSION, content_hash: contentHash(tensors, meta) }) };
  let headerText = JSON.stringify(header);
  // pad the header so the data starts 8-byte aligned (as the reference implementation does)
  while ((8 + Buffer.byteLength(headerText)) % 8 !== 0) headerText += ' ';
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export interface DecodedCheckpoint {
  tensors: NamedArray[];
  metadata: Record<string, unknown> & { content_hash: string };
  /** the checkpoint's identity: its v2 content hash (computed for a v1 file; see the top of this file) */
  identityHash: string;
  /** 1 for files written before metadata was hashed */
  hashVersion: 1 | 2;
}

/** Parse and verify; `label` names the file in errors. */
export function decodeSafetensors(buf: Uint8Array, label: string): DecodedCheckpoint {
  const bad = (why: string): never => {
    throw new UserError(`checkpoint ${label}: ${why}`);
  };
  if (buf.length < 8) bad('file is truncated (no header)');
  const headerLen = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > buf.length) bad('file is truncated or not a safetensors file (bad header length)');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.subarray(8, 8 + headerLen)).toString('utf8')) as Record<string, unknown>;
  } catch {
    return bad('header is not valid JSON');
  }
  const metaRaw = (header.__metadata__ as Record<string, string> | undefined)?.faithbench;
  if (typeof metaRaw !== 'string') bad('missing faithbench metadata');
  let metadata: DecodedCheckpoint['metadata'];
  try {
    metadata = JSON.parse(metaRaw as string) as DecodedCheckpoint['metadata'];
  } catch {
    return bad('metadata is not valid JSON');
  }
  const dataStart = 8 + headerLen;
  const tensors: NamedArray[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const parsed = TensorEntry.safeParse(entry);
    if (!parsed.success) bad(`tensor "${name}" has a malformed header entry`);
    const { shape, data_offsets } = parsed.data!;
    const [s, e] = data_offsets;
    const n = shape.reduce((a, c) => a * c, 1);
    if (e - s !== n * 4) bad(`tensor "${name}" byte range does not match its shape ${JSON.stringify(shape)}`);
    if (dataStart + e > buf.length) bad(`file is truncated (tensor "${name}" runs past the end)`);
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(buf.subarray(dataStart + s, dataStart + e));
    tensors.push({ name, shape, data: copy });
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return bad('metadata is not an object');
  const version = metadata.hash_version;
  if (version !== undefined && version !== HASH_VERSION) bad(`unknown hash_version ${JSON.stringify(version)} (this version reads 1 and ${HASH_VERSION})`);
  const identity = contentHash(tensors, metadata);
  const hash = version === undefined ? tensorHash(tensors) : identity;
  const what = version === undefined ? 'file is corrupted or was modified' : 'file is corrupted, or its weights or metadata were modified';
  if (hash !== metadata.content_hash) bad(`content hash mismatch (${what}): expected ${String(metadata.content_hash).slice(0, 12)}…, got ${hash.slice(0, 12)}…`);
  return { tensors, metadata, identityHash: identity, hashVersion: version === undefined ? 1 : 2 };
}

export function saveSafetensors(path: string, tensors: NamedArray[], metadata: Record<string, unknown>): string {
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileAtomic(path, bytes);
  return decodeSafetensors(bytes, path).identityHash;
}

export function loadSafetensors(path: string): DecodedCheckpoint {
  if (!existsSync(path)) throw new UserError(`checkpoint ${path}: file not found`);
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}
