/**
 * A Schema class instance made without validation, as `new X(props, true)` makes it, minus the constructor's work
 * per call (a copy of the props, a `delete` of `_tag` that leaves the copy a slow dictionary object, a walk over
 * every field looking for defaults): the class's defaults are listed once. The instance is the constructor's —
 * same prototype, same own keys in the same order, same values; a property test compares the two over the
 * catalogue. For hot paths whose values are checked later anyway (events are checked when they are encoded).
 */
import { Schema } from "effect"

/** A Schema class (`Schema.Class`, `Schema.TaggedClass`, …) seen through what this needs. */
export interface SchemaClass<Props, A> {
  new(props: Props, options?: boolean): A
  readonly fields: Schema.Struct.Fields
}

type Maker = (props: object) => unknown

const makers = new WeakMap<object, Maker>()

const defaultsOf = (fields: Schema.Struct.Fields): ReadonlyArray<readonly [string, () => unknown]> => {
  const out: Array<readonly [string, () => unknown]> = []
  for (const key of Object.keys(fields)) {
    const field = fields[key]
    if (!Schema.isPropertySignature(field)) continue
    const ast = field.ast
    const value = ast._tag === "PropertySignatureDeclaration" ? ast.defaultValue : ast.to.defaultValue
    if (value !== undefined) out.push([key, value])
  }
  return out
}

const makerOf = <Props, A>(Class: SchemaClass<Props, A>): Maker => {
  const prototype: object = Class.prototype as object
  const defaults = defaultsOf(Class.fields)
  const symbolKeyed = Object.getOwnPropertySymbols(Class.fields).length > 0
  return (props) => {
    // The constructor drops a given `_tag` and sets the class's own; a symbol-keyed field is beyond this copy.
    if (symbolKeyed || "_tag" in props) return new Class(props as Props, true)
    const out: Record<string, unknown> = Object.assign(Object.create(prototype) as Record<string, unknown>, props)
    for (const [key, value] of defaults) {
      if (out[key] === undefined) out[key] = value()
    }
    return out
  }
}

/** The maker of `Class` (made once per class), for a caller that keeps it rather than looking it up per instance. */
export const uncheckedMaker = <Props extends object, A>(Class: SchemaClass<Props, A>): (props: Props) => A => {
  let make = makers.get(Class)
  if (make === undefined) {
    make = makerOf(Class)
    makers.set(Class, make)
  }
  return make as (props: Props) => A
}

/** `new Class(props, true)`, without the constructor's per-call copying. */
export const unchecked = <Props extends object, A>(Class: SchemaClass<Props, A>, props: Props): A =>
  uncheckedMaker(Class)(props)
