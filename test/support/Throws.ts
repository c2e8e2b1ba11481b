/** Whether `f` throws (for properties that compare two ways of refusing a value). */
export const throws = (f: () => unknown): boolean => {
  try {
    f()
    return false
  } catch {
    return true
  }
}
