/** A point ending with ":" (e.g. "Rozwiązanie:") heads the points after it. */
export function isSubheading(point: string): boolean {
  return point.trimEnd().endsWith(':');
}

/** Groups points into blocks: an optional heading and its list items. */
export function pointBlocks(points: string[]): { heading: string | null; items: string[] }[] {
  const blocks: { heading: string | null; items: string[] }[] = [];
  for (const p of points) {
    if (isSubheading(p)) blocks.push({ heading: p, items: [] });
    else {
      if (blocks.length === 0) blocks.push({ heading: null, items: [] });
      blocks[blocks.length - 1]!.items.push(p);
    }
  }
  return blocks;
}

/** The proposal's whole text as plain text: title, then each point on its own line. */
export function fullText(p: { title: string; points: string[] }): string {
  return [p.title, ...p.points.map((pt) => (isSubheading(pt) ? pt : `- ${pt}`))].join('\n');
}
