#!/usr/bin/env node
// Runs the TypeScript CLI straight from the checkout: no build step between `git clone` and `npx tau`.
import { register } from "tsx/esm/api"

register()
await import("../src/cli/bin.ts")
