// Escaping for the HTML report: every piece of text from a trace, a scenario or a violation goes
// through here before it is written into markup, in element content and in attribute values alike.

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}
