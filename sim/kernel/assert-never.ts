// Exhaustiveness: every `switch` over a union ends in `default: return assertNever(x)`, so adding a
// member is a compile error until each switch handles it, and a value from outside the type system
// (bad JSON that slipped past validation) fails loudly at run time.

export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unhandled ${what}: ${JSON.stringify(value)}`)
}
