import { describe, expect, it } from 'vitest';
import { Slots, SlotsBusy } from '../../src/exports/slots.js';

/** An acquire whose outcome can be read without awaiting it: a release function, a refusal, or still waiting. */
function ask(slots: Slots, key: string) {
  const state: { release?: () => void; refused?: SlotsBusy['reason'] } = {};
  const done = slots.acquire(key).then(
    (release) => {
      state.release = release;
    },
    (err: unknown) => {
      if (!(err instanceof SlotsBusy)) throw err;
      state.refused = err.reason;
    },
  );
  return Object.assign(state, { key, done });
}

/** Lets granted and refused acquires settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Slots (large exports at once)', () => {
  it('lets `size` in, queues `queue` more, refuses the rest, hands a slot over on release', async () => {
    const slots = new Slots(2, 1);
    const a = await slots.acquire('a');
    const b = await slots.acquire('b');
    let thirdGotIn = false;
    const third = slots.acquire('c').then((release) => {
      thirdGotIn = true;
      return release;
    });
    await expect(slots.acquire('d')).rejects.toEqual(new SlotsBusy('full'));
    expect(slots.stats).toEqual({ active: 2, waiting: 1, keys: 3 });
    await Promise.resolve();
    expect(thirdGotIn).toBe(false);
    a();
    a(); // a second call changes nothing
    const c = await third;
    expect(thirdGotIn).toBe(true);
    expect(slots.stats).toEqual({ active: 2, waiting: 0, keys: 2 });
    b();
    c();
    expect(slots.stats).toEqual({ active: 0, waiting: 0, keys: 0 });
  });

  it('runs one at a time per key, queues one more, and refuses the key’s third as over its share', async () => {
    const slots = new Slots(2, 8, 2);
    const first = ask(slots, 'a');
    const second = ask(slots, 'a');
    const third = ask(slots, 'a');
    await settle();
    expect(first.release).toBeDefined();
    // a slot is free, but the key already runs one: the second waits for its turn
    expect(second.release).toBeUndefined();
    expect(third.refused).toBe('share');
    expect(slots.stats).toMatchObject({ active: 1, waiting: 1 });
    // another key takes the free slot at once
    const other = ask(slots, 'b');
    await settle();
    expect(other.release).toBeDefined();
    first.release!();
    await settle();
    expect(second.release).toBeDefined();
    second.release!();
    other.release!();
    expect(slots.stats).toEqual({ active: 0, waiting: 0, keys: 0 });
  });

  it('gives a free slot to the key served longest ago, not to whoever queued first', async () => {
    const slots = new Slots(1, 8, 2);
    const a1 = ask(slots, 'a');
    const a2 = ask(slots, 'a');
    const b1 = ask(slots, 'b');
    const c1 = ask(slots, 'c');
    await settle();
    expect([a1, a2, b1, c1].map((r) => r.release !== undefined)).toEqual([true, false, false, false]);
    a1.release!();
    await settle();
    // a queued first, but was just served: b and c, never served, go before it, in their queue order
    expect([a2, b1, c1].map((r) => r.release !== undefined)).toEqual([false, true, false]);
    b1.release!();
    await settle();
    expect([a2, c1].map((r) => r.release !== undefined)).toEqual([false, true]);
    c1.release!();
    await settle();
    expect(a2.release).toBeDefined();
    a2.release!();
  });

  it('keeps a few addresses from filling the queue: a newcomer displaces the newest waiter of the biggest holder', async () => {
    const slots = new Slots(2, 8, 2);
    const attackerKeys = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    // three addresses ask as much as they can
    const attackers = attackerKeys.flatMap((key) => Array.from({ length: 10 }, () => ask(slots, key)));
    await settle();
    const admitted = attackers.filter((r) => r.refused === undefined);
    expect(admitted.map((r) => r.key)).toEqual(attackerKeys.flatMap((key) => [key, key]));
    expect(attackers.filter((r) => r.refused === 'share')).toHaveLength(24);
    expect(slots.stats).toMatchObject({ active: 2, waiting: 4 });
    // newcomers, one after another: the queue fills, then each takes an attacker's second place, until every
    // address holds one
    const newcomers: ReturnType<typeof ask>[] = [];
    for (let i = 1; i <= 8; i++) {
      newcomers.push(ask(slots, `203.0.113.${i}`));
      await settle();
    }
    expect(newcomers.map((r) => r.refused ?? 'in')).toEqual(['in', 'in', 'in', 'in', 'in', 'in', 'in', 'full']);
    expect(slots.stats).toMatchObject({ active: 2, waiting: 8 });
    const displaced = admitted.filter((r) => r.refused === 'full');
    expect(displaced.map((r) => r.key).sort()).toEqual(attackerKeys);
    // the two that run are never taken away
    expect(admitted.filter((r) => r.release).map((r) => r.key)).toEqual(attackerKeys.slice(0, 2));
  });

  it('serves newcomers before the addresses that already had a turn', async () => {
    const slots = new Slots(2, 8, 2);
    const order: string[] = [];
    const record = (r: ReturnType<typeof ask>) => void r.done.then(() => r.release && order.push(r.key));
    const requests = ['a', 'a', 'b', 'b', 'c', 'c', 'v', 'w'].map((key) => ask(slots, key));
    requests.forEach(record);
    await settle();
    // release whatever runs, one at a time, until all are served
    while (order.length < requests.length) {
      const running = requests.find((r) => r.release && !(r as { finished?: boolean }).finished);
      (running as { finished?: boolean }).finished = true;
      running!.release!();
      await settle();
    }
    expect(order.slice(0, 2)).toEqual(['a', 'b']);
    // c, v and w had no turn yet: they go before a's and b's second requests
    expect(order.slice(2, 5).sort()).toEqual(['c', 'v', 'w']);
    expect(order.slice(5).sort()).toEqual(['a', 'b', 'c']);
  });
});
