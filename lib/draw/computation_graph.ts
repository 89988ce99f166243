/**
 * A computation graph as a drawing: its nodes and edges in topological order, written as
 * Graphviz DOT or Mermaid text, and counted. Chapter 09 draws the graph of a small expression and
 * counts the graph of one real training step.
 *
 * @module
 */

import type { GraphNode } from "./svg.ts";

/**
 * What drawing reads of a node of the graph: step 01's `Value` is one. Declared here, by the
 * fields it reads, so that drawing needs nothing of the chapters.
 */
export interface GraphValue {
  data: number;
  grad: number;
  /** The operation that made it ("leaf" for an input). */
  op: string;
  /** The nodes it was computed from. */
  inputs(): readonly GraphValue[];
  /** Every node it depends on, itself last, inputs before the nodes that use them. */
  topologicalOrder(): readonly GraphValue[];
}

// -----------------------------------------------------------------------------------------
// The computation graph: what `backward()` walks.
// -----------------------------------------------------------------------------------------

// Every `Value` knows its inputs (step 01), so the graph behind any result can be listed with
// `topologicalOrder()` and drawn. A tiny expression gives a picture a person can read; one
// training step gives the real thing, too big to draw but easy to count.

/** A graph ready to draw: nodes in topological order and edges from input to output. */
export interface GraphDrawing {
  nodes: GraphNode[];
  edges: [string, string][];
}

/**
 * Lists the graph behind `root` for drawing. Nodes named in `names` are labelled with that
 * name; the others with their operation kind. Each node shows its value and its gradient.
 *
 * @param root the result whose graph to draw
 * @param names labels for the nodes a reader should recognise
 * @returns nodes (ids `n0`, `n1`, ... in topological order) and edges
 * @example
 * ```ts
 * import { Value } from "../../steps/01_autograd.ts";
 * import { describeGraph } from "./computation_graph.ts";
 * const x = new Value(3);
 * const y = x.mul(2);
 * console.log(describeGraph(y, new Map([[x, "x"], [y, "y"]])).edges); // [ [ "n0", "n1" ] ]
 * ```
 */
export function describeGraph(
  root: GraphValue,
  names: ReadonlyMap<GraphValue, string>,
): GraphDrawing {
  const order = root.topologicalOrder();
  const ids = new Map(order.map((v, i) => [v, `n${i}`]));
  const round = (x: number) => Number(x.toPrecision(4)).toString();
  const nodes = order.map((v) => ({
    id: ids.get(v)!,
    label: names.get(v) ?? v.op,
    detail: `${round(v.data)} · grad ${round(v.grad)}`,
    leaf: v.op === "leaf",
  }));
  const edges: [string, string][] = [];
  for (const v of order) for (const input of v.inputs()) edges.push([ids.get(input)!, ids.get(v)!]);
  return { nodes, edges };
}

/**
 * The graph as Graphviz DOT text: paste it into any Graphviz viewer, or run
 * `dot -Tsvg graph.dot > graph.svg`.
 *
 * @param drawing nodes and edges from `describeGraph`
 * @returns a `digraph { ... }` document
 * @example
 * ```ts
 * import { toDot } from "./computation_graph.ts";
 * console.log(toDot({ nodes: [{ id: "n0", label: "x" }], edges: [] }).split("\n")[0]); // digraph computation {
 * ```
 */
export function toDot(drawing: GraphDrawing): string {
  const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return [
    "digraph computation {",
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fillcolor="#dcebf7", fontname="Helvetica"];',
    ...drawing.nodes.map((node) =>
      `  ${node.id} [label=${quote(`${node.label}\n${node.detail ?? ""}`).replace("\n", "\\n")}${
        node.leaf ? ', fillcolor="#fff3c4"' : ""
      }];`
    ),
    ...drawing.edges.map(([from, to]) => `  ${from} -> ${to};`),
    "}",
    "",
  ].join("\n");
}

/**
 * The graph as Mermaid text, which GitHub renders inside a ```` ```mermaid ```` block.
 *
 * @param drawing nodes and edges from `describeGraph`
 * @returns a `graph LR` document
 * @example
 * ```ts
 * import { toMermaid } from "./computation_graph.ts";
 * console.log(toMermaid({ nodes: [{ id: "n0", label: "x" }], edges: [] }).split("\n")[0]); // graph LR
 * ```
 */
export function toMermaid(drawing: GraphDrawing): string {
  const safe = (text: string) => text.replace(/"/g, "#quot;");
  return [
    "graph LR",
    ...drawing.nodes.map((node) =>
      `  ${node.id}${node.leaf ? "([" : "["}"${safe(node.label)}<br/>${safe(node.detail ?? "")}"${
        node.leaf ? "])" : "]"
      }`
    ),
    ...drawing.edges.map(([from, to]) => `  ${from} --> ${to}`),
    "",
  ].join("\n");
}

/**
 * Counts the graph behind `root`: nodes, edges (one per input of each node) and leaves.
 *
 * @param root the result
 * @returns the counts and the leaves themselves
 * @example
 * ```ts
 * import { Value } from "../../steps/01_autograd.ts";
 * import { graphCounts } from "./computation_graph.ts";
 * const x = new Value(3);
 * const { nodes, edges } = graphCounts(x.mul(x));
 * console.log(nodes, edges); // 2 2
 * ```
 */
export function graphCounts<V extends GraphValue>(
  root: V,
): { nodes: number; edges: number; leaves: V[] } {
  const order = root.topologicalOrder();
  let edges = 0;
  const leaves: V[] = [];
  for (const v of order as readonly V[]) {
    edges += v.inputs().length;
    if (v.op === "leaf") leaves.push(v);
  }
  return { nodes: order.length, edges, leaves };
}
