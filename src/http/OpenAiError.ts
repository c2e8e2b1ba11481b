/**
 * OpenAI's error shape, `{ error: { message, type, param, code } }`, which OpenAI SDKs parse into typed
 * exceptions (`APIError.status`, `.code`, `.param`). Every error the gateway produces outside a typed HttpApi
 * endpoint uses it: auth, limits, unknown routes, the /v1 routes.
 */
import { HttpServerResponse } from "@effect/platform"

export type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "server_error"

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string
    readonly type: OpenAiErrorType
    readonly param: string | null
    readonly code: string | null
  }
}

const defaultType = (status: number): OpenAiErrorType => {
  switch (status) {
    case 401:
      return "authentication_error"
    case 403:
      return "permission_error"
    case 404:
      return "not_found_error"
    case 409:
      return "conflict_error"
    case 429:
      return "rate_limit_error"
    default:
      return status >= 500 ? "server_error" : "invalid_request_error"
  }
}

export const openAiErrorBody = (
  status: number,
  message: string,
  options: { readonly code?: string | undefined; readonly param?: string | undefined; readonly type?: OpenAiErrorType } = {}
): OpenAiErrorBody => ({
  error: { message, type: options.type ?? defaultType(status), param: options.param ?? null, code: options.code ?? null }
})

/** A JSON error response in OpenAI's shape. */
export const openAiError = (
  status: number,
  message: string,
  options: {
    readonly code?: string | undefined
    readonly param?: string | undefined
    readonly type?: OpenAiErrorType
    readonly headers?: Readonly<Record<string, string>>
  } = {}
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(openAiErrorBody(status, message, options), {
    status,
    ...(options.headers === undefined ? {} : { headers: options.headers })
  })
