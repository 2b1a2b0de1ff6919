/**
 * Thrown when a request cannot have a slot: `share` when its own key already has its share running and waiting,
 * `full` when every slot is taken and the queue holds nobody with more than their share.
 */
export class SlotsBusy extends Error {
  constructor(readonly reason: 'share' | 'full') {
    super(reason === 'share' ? 'this key already has its share of slots' : 'every slot is taken');
  }
}

type Share = { running: number; waiting: number; lastServed: number };
type Waiter = { key: string; grant: () => void; refuse: (err: SlotsBusy) => void };

/**
 * Few large exports at once: each one streams for seconds, and many together would share the CPU with every other
 * request. The rest wait in a short queue; past it they are refused.
 *
 * Shared fairly by key (the client's address): a key runs at most one at a time and has at most `perKey` running
 * and waiting, so a few addresses cannot fill the slots and the queue between them. A free slot goes to the waiting
 * key that was served longest ago (a key never served first), not to whoever queued first. When the queue is full,
 * a newcomer takes the place of the newest waiter of the key holding the most, if that key holds more than the
 * newcomer would: the queue is only ever full of keys with an equal share.
 */
export class Slots {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly shares = new Map<string, Share>();
  private served = 0;

  constructor(
    readonly size: number,
    readonly queue: number,
    readonly perKey = 2,
  ) {}

  /** Resolves with a release function (call it once) when a slot is free for this key. */
  async acquire(key: string): Promise<() => void> {
    const share = this.shares.get(key) ?? { running: 0, waiting: 0, lastServed: 0 };
    if (share.running + share.waiting >= this.perKey) throw new SlotsBusy('share');
    this.shares.set(key, share);
    // no waiter could take a free slot (see dispatch), so a newcomer with nothing running takes it at once
    if (this.running < this.size && share.running === 0) this.start(share);
    else {
      if (this.waiting.length >= this.queue && !this.evictFor(share)) {
        this.forgetIfIdle(key, share);
        throw new SlotsBusy('full');
      }
      share.waiting++;
      await new Promise<void>((grant, refuse) => this.waiting.push({ key, grant, refuse }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      share.running--;
      this.forgetIfIdle(key, share);
      this.dispatch();
    };
  }

  private start(share: Share) {
    this.running++;
    share.running++;
    share.lastServed = ++this.served;
  }

  /** Hands free slots to waiters whose key runs nothing, the key served longest ago first (queue order on a tie). */
  private dispatch() {
    while (this.running < this.size) {
      let best = -1;
      for (let i = 0; i < this.waiting.length; i++) {
        const share = this.shares.get(this.waiting[i]!.key)!;
        if (share.running > 0) continue;
        if (best < 0 || share.lastServed < this.shares.get(this.waiting[best]!.key)!.lastServed) best = i;
      }
      if (best < 0) return;
      const [waiter] = this.waiting.splice(best, 1);
      const share = this.shares.get(waiter!.key)!;
      share.waiting--;
      this.start(share);
      waiter!.grant();
    }
  }

  /** Refuses the newest waiter of the key holding the most, if it holds more than `newcomer` will; true if done. */
  private evictFor(newcomer: Share): boolean {
    let victim = -1;
    let most = newcomer.running + newcomer.waiting + 1;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const share = this.shares.get(this.waiting[i]!.key)!;
      if (share.running + share.waiting > most) {
        most = share.running + share.waiting;
        victim = i;
      }
    }
    if (victim < 0) return false;
    const [waiter] = this.waiting.splice(victim, 1);
    const share = this.shares.get(waiter!.key)!;
    share.waiting--;
    this.forgetIfIdle(waiter!.key, share);
    waiter!.refuse(new SlotsBusy('full'));
    return true;
  }

  private forgetIfIdle(key: string, share: Share) {
    if (share.running === 0 && share.waiting === 0) this.shares.delete(key);
  }

  get stats() {
    return { active: this.running, waiting: this.waiting.length, keys: this.shares.size };
  }
}
