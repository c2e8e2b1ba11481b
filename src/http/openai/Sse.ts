/**
 * Server-sent events for the OpenAI-compatible routes: the frames (`data: <json>\n\n`, or named
 * `event: <name>\ndata: <json>\n\n` as the Responses API sends them); the streaming response is the gateway's
 * (../Sse.ts).
 */

/** `data: <json>\n\n` */
export const dataFrame = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`

/** `event: <name>\ndata: <json>\n\n` */
export const eventFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** Chat Completions' end-of-stream marker. */
export const doneFrame = "data: [DONE]\n\n"

export { heartbeatFrame, sseHeaders, sseResponse } from "../Sse.ts"
