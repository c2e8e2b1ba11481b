import type { AnyTool } from "../Tool.ts"
import { EditFile } from "./EditFile.ts"
import { Glob } from "./Glob.ts"
import { Grep } from "./Grep.ts"
import { ListDir } from "./ListDir.ts"
import { ReadFile } from "./ReadFile.ts"
import { RunCommand } from "./RunCommand.ts"
import { WriteFile } from "./WriteFile.ts"

/** The built-in coding tools, in the order the model sees them. Their names are reserved. */
export const builtinTools: ReadonlyArray<AnyTool> = [ReadFile, WriteFile, EditFile, ListDir, Glob, Grep, RunCommand]
