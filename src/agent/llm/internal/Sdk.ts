/**
 * The one way Tau makes its `openai` client, on the event loop or on the model thread: the SDK's own retries off
 * (Tau's are the only ones), logging off, our node:http transport (NodeFetch.ts).
 */
import OpenAI from "openai"
import { nodeFetch } from "../NodeFetch.ts"

/** What a client is made with; plain data, so the model thread receives it as its workerData. */
export interface SdkOptions {
  readonly baseURL: string
  readonly apiKey: string
  readonly timeoutMs: number
}

export const makeSdk = (options: SdkOptions): OpenAI =>
  new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: options.timeoutMs,
    logLevel: "off",
    fetch: nodeFetch
  })
