/**
 * Failure points for end-to-end tests, after CometBFT's libs/fail: the environment variable
 * `MEDLEDGER_FAIL_POINT=<point>@<height>` makes a node's storage misbehave at one block, so a
 * test can stop it exactly where a full disk or a power cut would:
 *
 * - `block-write-fails`: the block's batch fails as if the disk refused it.
 * - `block-write-hangs`: the block's batch never finishes (the node goes on: the block is in
 *   its block log), so a `kill -9` finds later blocks signed and the batch not written.
 *
 * Unset (every real deployment), `failPointFromEnv` returns undefined and nothing changes.
 */
const FAIL_POINTS = ['block-write-fails', 'block-write-hangs'] as const;

/** Wraps the write of one block's batch: passes it through, or fails it, or never finishes it. */
export type BlockWriteFailPoint = (height: number, write: () => Promise<void>) => Promise<void>;

/** The fail point the environment arms, or undefined. Throws on a malformed value (a test's mistake). */
export function failPointFromEnv(value: string | undefined): BlockWriteFailPoint | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^([a-z-]+)@([1-9][0-9]*)$/.exec(value);
  const point = FAIL_POINTS.find((p) => p === m?.[1]);
  if (!m || point === undefined) {
    throw new Error(`MEDLEDGER_FAIL_POINT must be <point>@<height> with point one of ${FAIL_POINTS.join(', ')}; got "${value}"`);
  }
  const armed = Number(m[2]);
  return (height, write) => {
    if (height !== armed) return write();
    if (point === 'block-write-hangs') return new Promise<void>(() => {});
    return Promise.reject(new Error(`fail point ${point}@${height}: the block's write was made to fail`));
  };
}
