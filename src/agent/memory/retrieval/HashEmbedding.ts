/**
 * The default embedding: signed feature hashing of word unigrams, word bigrams and character 3-5-grams into a
 * fixed number of dimensions, L2-normalised. Deterministic, local, no model: two texts are close when they share
 * words, word pairs or word pieces (so "migration" is close to "migrations"). Pure.
 */
import { charNgrams, contentWords } from "./Text.ts"

export const hashDimension = 384

const unigramWeight = 1
const bigramWeight = 0.6
const charGramWeight = 0.25

/** FNV-1a over UTF-16 code units. */
const fnv1a = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** murmur3's finaliser: a second, independent-looking hash for the sign. */
const mix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const add = (vector: Float64Array, feature: string, weight: number) => {
  const h = fnv1a(feature)
  vector[h % vector.length]! += (mix(h) & 1) === 0 ? weight : -weight
}

/** The hashed features of `text` (before normalisation), for tests that reason about shared features. */
export const hashFeatures = (text: string): ReadonlyArray<string> => {
  const tokens = contentWords(text)
  const features: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    features.push(`w:${token}`)
    if (i + 1 < tokens.length) features.push(`b:${token} ${tokens[i + 1]}`)
    for (const gram of charNgrams(token)) features.push(`c:${gram}`)
  }
  return features
}

export const hashEmbedding = (text: string, dimension = hashDimension): Float32Array => {
  const acc = new Float64Array(dimension)
  const tokens = contentWords(text)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    add(acc, `w:${token}`, unigramWeight)
    if (i + 1 < tokens.length) add(acc, `b:${token} ${tokens[i + 1]}`, bigramWeight)
    for (const gram of charNgrams(token)) add(acc, `c:${gram}`, charGramWeight)
  }
  return normalise(acc)
}

/** L2-normalised float32 copy; the zero vector stays zero. */
export const normalise = (values: ArrayLike<number>): Float32Array => {
  let norm = 0
  for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!
  const out = new Float32Array(values.length)
  if (norm === 0) return out
  const scale = 1 / Math.sqrt(norm)
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale
  return out
}

/** Dot product (= cosine for unit vectors); 0 when the dimensions differ. */
export const cosine = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return 0
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

/** Float32 little-endian bytes, the stored form of a vector. */
export const vectorToBytes = (vector: Float32Array): Uint8Array => {
  const bytes = new Uint8Array(vector.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true)
  return bytes
}

export const vectorFromBytes = (bytes: Uint8Array): Float32Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(Math.floor(bytes.byteLength / 4))
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}
