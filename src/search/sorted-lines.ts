/**
 * A text file of lines sorted by their first field (ASCII, up to a tab), kept as one buffer: a look-up is a
 * binary search over the line starts, so loading costs one read and one scan for line ends, with no string
 * or map per line (the dictionary has 300,000 lines).
 */
export class SortedLines {
  private readonly starts: Uint32Array;

  constructor(private readonly buf: Buffer) {
    // line ends found by Buffer.indexOf (memchr), not byte by byte in JS
    const ends: number[] = [];
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) ends.push(i);
    const starts = new Uint32Array(ends.length + 1);
    for (let k = 0; k < ends.length; k++) starts[k + 1] = ends[k]! + 1;
    // starts[n] is the end of the buffer: line i is starts[i] .. starts[i + 1] - 1
    this.starts = starts;
  }

  get size(): number {
    return this.starts.length - 1;
  }

  /** The fields after the key of the line whose key is `key` (ASCII), or null. */
  find(key: string): string[] | null {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.compare(mid, key);
      if (c === 0) {
        const start = this.starts[mid]!;
        const end = this.starts[mid + 1]! - 1;
        return this.buf.toString('utf8', start + key.length + 1, end).split('\t');
      }
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return null;
  }

  /** The line's key compared with `key`: negative when the line sorts first. */
  private compare(line: number, key: string): number {
    const buf = this.buf;
    let p = this.starts[line]!;
    for (let i = 0; i < key.length; i++, p++) {
      const b = buf[p]!;
      const k = key.charCodeAt(i);
      // a tab (9) ends the line's key and sorts before any letter
      if (b === 9 || b === 10) return -1;
      if (b !== k) return b - k;
    }
    return buf[p] === 9 ? 0 : 1;
  }
}
