// `node --import ./bin/register.mjs file.ts`: runs a TypeScript entry point with Tau's loader (bin/loader.mjs).
import { register } from "node:module"

process.setSourceMapsEnabled(true)
register("./loader.mjs", import.meta.url)
