/**
 * A Schema's type-side check compiled once into plain closures, for hot paths that encode or construct values of
 * schemas without transformations (events, model responses). For such a schema it does what `Schema.encode` does —
 * checks every refinement and keeps only the known keys, in the schema's order — without ParseResult's Either per
 * node. It answers only "valid, here is the copy" or `Invalid`: the caller then runs Schema itself, whose error
 * carries the path. Schemas it cannot compile exactly (transformations, declarations, symbol or template keys, unions
 * of several structures, whose choice of member ParseResult makes its own way) give `undefined`: use Schema.
 */
import { Option, Predicate, SchemaAST } from "effect"
import type { SchemaClass } from "./Unchecked.ts"
import { unchecked } from "./Unchecked.ts"

export const Invalid: unique symbol = Symbol.for("tau/SchemaCheck/Invalid")
export type Check = (input: unknown) => unknown

const noOptions = {}
const typeAST = SchemaAST.typeAST
const hasOwn = Object.prototype.hasOwnProperty

/** A node whose check returns something other than its input (a copy): at most one such member per union. */
const copies = (ast: SchemaAST.AST): boolean =>
  ast._tag === "TypeLiteral" || ast._tag === "TupleType" || (ast._tag === "Refinement" && copies(ast.from))

const stringKeyed = (ast: SchemaAST.AST): boolean =>
  ast._tag === "StringKeyword" || (ast._tag === "Refinement" && stringKeyed(ast.from))

const compile = (ast: SchemaAST.AST): Check | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (i) => (typeof i === "string" ? i : Invalid)
    case "NumberKeyword":
      return (i) => (typeof i === "number" ? i : Invalid)
    case "BooleanKeyword":
      return (i) => (typeof i === "boolean" ? i : Invalid)
    case "UndefinedKeyword":
      return (i) => (i === undefined ? i : Invalid)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (i) => i
    case "Literal": {
      const literal = ast.literal
      return (i) => (i === literal ? i : Invalid)
    }
    case "Refinement": {
      const from = compile(ast.from)
      if (from === undefined) return undefined
      const filter = ast.filter
      return (i) => {
        const a = from(i)
        return a === Invalid || Option.isSome(filter(a, noOptions, ast)) ? Invalid : a
      }
    }
    case "Union": {
      const members = ast.types.map(compile)
      // With one copying member, an unknown-typed one could take a value ParseResult would give the other.
      const copying = ast.types.filter(copies).length
      const anything = ast.types.some((t) => t._tag === "UnknownKeyword" || t._tag === "AnyKeyword")
      if (members.some((m) => m === undefined) || copying > 1 || (copying === 1 && anything)) return undefined
      const checks = members as ReadonlyArray<Check>
      return (i) => {
        for (const check of checks) {
          const a = check(i)
          if (a !== Invalid) return a
        }
        return Invalid
      }
    }
    case "TupleType": {
      if (ast.elements.some((e) => e.isOptional) || ast.rest.length > 1) return undefined
      const elements = ast.elements.map((e) => compile(e.type))
      const rest = ast.rest.length === 1 ? compile(ast.rest[0]!.type) : null
      if (elements.some((e) => e === undefined) || rest === undefined) return undefined
      const fixed = elements as ReadonlyArray<Check>
      return (i) => {
        if (!Array.isArray(i) || i.length < fixed.length || (rest === null && i.length > fixed.length)) return Invalid
        const out: Array<unknown> = []
        for (let k = 0; k < i.length; k++) {
          const a = (k < fixed.length ? fixed[k]! : rest!)(i[k])
          if (a === Invalid) return Invalid
          out.push(a)
        }
        return out
      }
    }
    case "TypeLiteral": {
      if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
        return (i) => (i === null || i === undefined ? Invalid : i)
      }
      const props = ast.propertySignatures.map((ps) => ({ name: ps.name, optional: ps.isOptional, check: compile(ps.type) }))
      // Keys of a string index signature are the object's own string keys (ParseResult's getKeysForIndexSignature).
      const indexes = ast.indexSignatures.map((is) => ({ key: stringKeyed(is.parameter) ? compile(is.parameter) : undefined, value: compile(is.type) }))
      if (props.some((p) => p.check === undefined || typeof p.name !== "string")) return undefined
      if (indexes.some((x) => x.key === undefined || x.value === undefined)) return undefined
      const fields = props as ReadonlyArray<{ readonly name: string; readonly optional: boolean; readonly check: Check }>
      const records = indexes as ReadonlyArray<{ readonly key: Check; readonly value: Check }>
      const named = new Set(fields.map((f) => f.name))
      return (i) => {
        if (!Predicate.isRecord(i)) return Invalid
        const out: Record<string, unknown> = {}
        for (const { check, name, optional } of fields) {
          if (optional && !hasOwn.call(i, name)) continue
          const a = check(i[name])
          if (a === Invalid) return Invalid
          out[name] = a
        }
        for (const { key, value } of records) {
          for (const k of Object.keys(i)) {
            // A key the signature does not take is left out, not refused.
            if (key(k) === Invalid) continue
            const a = value(i[k])
            if (a === Invalid) return Invalid
            if (!named.has(k)) out[k] = a
          }
        }
        return out
      }
    }
    default:
      return undefined
  }
}

/** The compiled check of `ast` (its type side), or undefined when it cannot be compiled exactly. */
export const compileCheck = (ast: SchemaAST.AST): Check | undefined => compile(ast)

/**
 * The compiled check of a Schema class's fields: the type side of the struct the class is made from, whose key
 * order is the one its encoder writes.
 */
export const compileClassCheck = (Class: { readonly ast: SchemaAST.AST }): Check | undefined =>
  Class.ast._tag === "Transformation" ? compile(typeAST(Class.ast.from)) : undefined

/**
 * `new Class(props)` of a Schema class, checked by its compiled check instead of the constructor's validation:
 * made without validation (defaults merged), then checked, and the checked copy becomes the instance (as decoding
 * a class makes it); when the check refuses, the validating constructor runs and throws Schema's error. A class
 * the check cannot compile is always made with validation.
 */
export const checkedConstructor = <Props extends object, A>(
  Class: SchemaClass<Props, A> & { readonly ast: SchemaAST.AST }
): (props: Props) => A => {
  const check = compileClassCheck(Class)
  if (check === undefined) return (props) => new Class(props)
  const prototype: object = Class.prototype as object
  return (props) => {
    // Made first for its defaults; the instance holds the checked copy, as the validating constructor's would.
    const checked = check(unchecked(Class, props))
    return checked === Invalid ? new Class(props) : Object.assign(Object.create(prototype) as A & object, checked)
  }
}
