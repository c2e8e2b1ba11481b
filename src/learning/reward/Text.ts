/**
 * Text helpers for the implicit-feedback lexicon and the categoriser: normalisation, phrase matching on word
 * boundaries, and token-set similarity.
 */

/** Lower case, straight apostrophes, single spaces. */
export const normalize = (text: string): string =>
  text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, " ").trim()

const isWordChar = (char: string | undefined): boolean => char !== undefined && /[\p{L}\p{N}_']/u.test(char)

/**
 * Whether `phrase` (normalised) occurs in `text` (normalised) on word boundaries: a phrase edge that is a word
 * character must not touch another word character, so "ty" does not match inside "empty".
 */
export const containsPhrase = (text: string, phrase: string): boolean => {
  const startsWord = isWordChar(phrase[0])
  const endsWord = isWordChar(phrase[phrase.length - 1])
  let from = 0
  for (;;) {
    const at = text.indexOf(phrase, from)
    if (at === -1) return false
    const before = startsWord && isWordChar(text[at - 1])
    const after = endsWord && isWordChar(text[at + phrase.length])
    if (!before && !after) return true
    from = at + 1
  }
}

export const firstMatch = (text: string, phrases: ReadonlyArray<string>): string | undefined =>
  phrases.find((phrase) => containsPhrase(text, phrase))

const wordPattern = /[\p{L}\p{N}_']+/gu

/** Word tokens of a normalised text. */
export const words = (text: string): ReadonlyArray<string> => text.match(wordPattern) ?? []

/** The set of word tokens, without stopwords. */
export const contentTokens = (text: string, stopwords: ReadonlySet<string>): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const word of words(text)) if (!stopwords.has(word)) out.add(word)
  return out
}

/** |A ∩ B| / |A ∪ B|; 0 when both are empty. */
export const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 0
  let shared = 0
  for (const token of a) if (b.has(token)) shared++
  return shared / (a.size + b.size - shared)
}
