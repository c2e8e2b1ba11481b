/**
 * Tokenisation shared by the hashing embedder, the full-text query builder and the eval tooling: lowercase
 * letters and digits, split on everything else. Pure.
 */

const stopwords = new Set([
  "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "has", "have", "how", "i", "if",
  "in", "into", "is", "it", "its", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there",
  "these", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "you",
  "your", "should", "can", "did", "about", "any", "all", "my", "me", "us"
])

/** Every word token of `text`, lowercased, in order. */
export const words = (text: string): ReadonlyArray<string> =>
  text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0)

export const isStopword = (word: string): boolean => stopwords.has(word)

/** Word tokens without stopwords. */
export const contentWords = (text: string): ReadonlyArray<string> => words(text).filter((w) => !stopwords.has(w))

/** Character n-grams of one word, with boundary marks so prefixes and suffixes count. */
export const charNgrams = (word: string, min = 3, max = 5): ReadonlyArray<string> => {
  const padded = `<${word}>`
  const grams: Array<string> = []
  for (let n = min; n <= max; n++) {
    for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n))
  }
  return grams
}

/** Query terms for the full-text engines: distinct content words, only [\p{L}\p{N}] so they are safe to quote. */
export const queryTerms = (text: string, max = 32): ReadonlyArray<string> => [...new Set(contentWords(text))].slice(0, max)

/** What a record's vector is computed from: its content and its tags (the full-text index holds both too). */
export const embeddingText = (content: string, tags: ReadonlyArray<string>): string =>
  tags.length === 0 ? content : `${content}\n${tags.join(" ")}`
