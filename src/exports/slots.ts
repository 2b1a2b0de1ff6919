/** Thrown when every slot is taken and the queue is full. */
export class SlotsBusy extends Error {}

/**
 * Few large exports at once: each one streams for seconds, and many together would share the CPU
 * with every other request. The rest wait in a short queue; past it they are refused.
 */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly size: number,
    readonly queue: number,
  ) {}

  /** Resolves with a release function (call it once) when a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    else if (this.waiting.length >= this.queue) throw new SlotsBusy();
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  get stats() {
    return { active: this.active, waiting: this.waiting.length };
  }
}
