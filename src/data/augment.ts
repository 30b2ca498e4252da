// Seeded image augmentation on host data: random shifts and horizontal flips.
import { formatShape, type HostArray } from "./hostArray.js";
import { checkSeed, hostRng } from "./rng.js";
import { refused, ShapeError } from "../tensor/errors.js";

/** Options of `augment(images, { maxShift, flipHorizontal, seed })`. */
export interface AugmentOptions {
  /** Shift each image by up to this many pixels in x and y (zero padding, same as pad-by-k then a random crop). Default 0. */
  maxShift?: number;
  /** Mirror each image left-right with probability 1/2. Default false (wrong for digits and text). */
  flipHorizontal?: boolean;
  /** Seed of the shifts and flips (an integer); fit passes a new one per step. */
  seed: number;
}

/**
 * A randomly shifted and/or flipped copy of a batch of images `[N, H, W, C]`; each image
 * draws its own shift and flip from `seed`. Use a new seed per epoch.
 *
 * @example
 * const xAugmented = augment(batch.x, { maxShift: 2, seed: epoch });
 */
export function augment<S extends readonly [number, number, number, number]>(
  images: HostArray<S>,
  options: AugmentOptions,
): HostArray<S, "float32"> {
  const { maxShift = 0, flipHorizontal = false, seed } = options;
  checkSeed(seed, "augment");
  if (images.shape.length !== 4)
    throw refused("augment", `images must have shape [N, H, W, C]`, `${formatShape(images.shape)}`, ShapeError);
  if (!Number.isInteger(maxShift) || maxShift < 0) throw refused("augment", `maxShift must be an integer >= 0`, `${maxShift}`);
  const [n, height, width, channels] = images.shape;
  const rng = hostRng(seed);
  const out = new Float32Array(images.data.length);
  const imageSize = height * width * channels;
  for (let i = 0; i < n; i++) {
    const dy = maxShift > 0 ? rng.int(2 * maxShift + 1) - maxShift : 0;
    const dx = maxShift > 0 ? rng.int(2 * maxShift + 1) - maxShift : 0;
    const flip = flipHorizontal && rng.float() < 0.5;
    const base = i * imageSize;
    for (let row = 0; row < height; row++) {
      const sourceRow = row - dy;
      if (sourceRow < 0 || sourceRow >= height) continue; // padded with zeros
      for (let col = 0; col < width; col++) {
        const shifted = col - dx;
        if (shifted < 0 || shifted >= width) continue;
        const sourceCol = flip ? width - 1 - shifted : shifted;
        const from = base + (sourceRow * width + sourceCol) * channels;
        const to = base + (row * width + col) * channels;
        for (let c = 0; c < channels; c++) out[to + c] = images.data[from + c];
      }
    }
  }
  return { data: out, shape: images.shape, dtype: "float32" };
}
