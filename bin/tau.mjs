#!/usr/bin/env node
// Runs the TypeScript CLI straight from the checkout: no build step between `git clone` and `npx tau`.
import "./register.mjs"

await import("../src/cli/bin.ts")
