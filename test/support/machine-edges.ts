// Edge coverage for XState machines: the static edges of a machine's graph (xstate/graph's
// `toDirectedGraph`), and the edges a walk over its adjacency map actually takes, so a test can
// require that every edge was walked.
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph'

/** `source --event--> target`, with state ids as xstate names them (`machine.state`). */
export type EdgeKey = string

export function edgeKey(source: string, event: string, target: string): EdgeKey {
  return `${source} --${event}--> ${target}`
}

/** Every transition the machine declares, with targetless transitions as self-edges. */
export function staticEdges(machine: Parameters<typeof toDirectedGraph>[0]): Set<EdgeKey> {
  const edges = new Set<EdgeKey>()
  const visit = (node: DirectedGraphNode): void => {
    for (const edge of node.edges) edges.add(edgeKey(edge.source.id, edge.label.text, edge.target.id))
    node.children.forEach(visit)
  }
  visit(toDirectedGraph(machine))
  return edges
}
