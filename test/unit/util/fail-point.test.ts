import { describe, expect, it } from 'vitest';
import { failPointFromEnv } from '../../../src/util/fail-point.js';

describe('failPointFromEnv', () => {
  it('is off when the variable is unset or empty', () => {
    expect(failPointFromEnv(undefined)).toBeUndefined();
    expect(failPointFromEnv('')).toBeUndefined();
  });

  it('refuses a malformed value, naming the points', () => {
    for (const bad of ['block-write-fails', 'block-write-fails@0', 'block-write-fails@x', 'nope@3', 'block-write-fails@3 ']) {
      expect(() => failPointFromEnv(bad)).toThrow(/block-write-fails, block-write-hangs/);
    }
  });

  it('block-write-fails fails only the armed height, without writing it', async () => {
    const fp = failPointFromEnv('block-write-fails@3')!;
    const written: number[] = [];
    const write = (h: number) => async (): Promise<void> => { written.push(h); };
    await fp(2, write(2));
    await expect(fp(3, write(3))).rejects.toThrow('fail point block-write-fails@3');
    await fp(4, write(4));
    expect(written).toEqual([2, 4]);
  });

  it('block-write-hangs never finishes the armed height, and does not write it', async () => {
    const fp = failPointFromEnv('block-write-hangs@2')!;
    let wrote = false;
    const settled = await Promise.race([fp(2, async () => { wrote = true; }).then(() => 'done'), new Promise((r) => setTimeout(() => r('pending'), 50))]);
    expect(settled).toBe('pending');
    expect(wrote).toBe(false);
    await expect(fp(3, async () => {})).resolves.toBeUndefined();
  });
});
