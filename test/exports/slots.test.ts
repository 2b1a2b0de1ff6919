import { describe, expect, it } from 'vitest';
import { Slots, SlotsBusy } from '../../src/exports/slots.js';

describe('Slots (large exports at once)', () => {
  it('lets `size` in, queues `queue` more, refuses the rest, hands a slot over on release', async () => {
    const slots = new Slots(2, 1);
    const a = await slots.acquire();
    const b = await slots.acquire();
    let thirdGotIn = false;
    const third = slots.acquire().then((release) => {
      thirdGotIn = true;
      return release;
    });
    await expect(slots.acquire()).rejects.toBeInstanceOf(SlotsBusy);
    expect(slots.stats).toEqual({ active: 2, waiting: 1 });
    await Promise.resolve();
    expect(thirdGotIn).toBe(false);
    a();
    a(); // a second call changes nothing
    const c = await third;
    expect(thirdGotIn).toBe(true);
    expect(slots.stats).toEqual({ active: 2, waiting: 0 });
    b();
    c();
    expect(slots.stats).toEqual({ active: 0, waiting: 0 });
  });
});
