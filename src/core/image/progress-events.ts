/**
 * What a pull or a load reports while it runs. The core only emits these events (it prints nothing);
 * src/cli/progress.ts turns them into podman's progress lines and bars. No callback, no progress.
 */

export type ProgressEvent =
  /** "Trying to pull REF..." (once per registry tried for a short name) */
  | { type: 'trying'; ref: string }
  /** "Getting image source signatures" */
  | { type: 'signatures' }
  /** a layer the store already has */
  | { type: 'layer-skipped'; digest: string }
  /**
   * A layer is being copied. `size` (the blob's size, 0 when unknown) is given when `layer-bytes` events
   * follow (a pull draws a bar); without it the layer is copied without byte counts (a load).
   */
  | { type: 'layer-started'; diffID: string; digest: string; size?: number }
  | { type: 'layer-bytes'; diffID: string; bytes: number }
  | { type: 'layer-done'; diffID: string }
  /** "Copying config ID done" */
  | { type: 'config-done'; digest: string }
  /** "Writing manifest to image destination" */
  | { type: 'writing-manifest' }
  /** the pull or load (or one registry's attempt) is over, successful or not */
  | { type: 'finished' };

export type OnProgress = (e: ProgressEvent) => void;
