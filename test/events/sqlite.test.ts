import { Effect } from "effect"
import { sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { eventLogContract } from "./contract/EventLogContract.ts"

eventLogContract("sqlite", Effect.map(tempSqliteFile, (file) => () => sqliteEventLogLayer(file)))
