// Module hooks that run Tau's TypeScript sources straight from the checkout (no build step): each `.ts` file is
// transpiled by esbuild when first imported. Unlike tsx's loader this keeps esbuild's `keepNames` off: with it
// every function created at run time also goes through Object.defineProperty (`__name`), which cost ~5% of an
// event-log append's CPU.
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { transform } from "esbuild"

const options = {
  loader: "ts",
  format: "esm",
  target: `node${process.versions.node}`,
  sourcemap: "inline",
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const { code } = await transform(await readFile(path, "utf8"), { ...options, sourcefile: path })
  return { format: "module", source: code, shortCircuit: true }
}
