// Scaling by a constant, by a schedule, and by a learning rate (with the descent sign).
import { isTensor, type AnyTensor, ValueError } from "../tensor/index.js";
import { add, neg, asTensor } from "../core/index.js";
import { asSchedule, type Schedule } from "./schedules.js";
import { scaleTree } from "./tree-math.js";
import {
  transformation,
  withScaling,
  type Count,
  type EmptyFamily,
  type GradientTransformation,
  type Scaling,
  type StateFamily,
  checkOptions,
} from "./transform.js";

/**
 * Every update times `factor`.
 * ```ts
 * const half = scale(0.5);
 * ```
 */
export function scale(factor: number): GradientTransformation<EmptyFamily> {
  if (!Number.isFinite(factor))
    throw new ValueError(
      { op: "scale", expected: "a finite factor", got: String(factor) },
      `scale: factor must be a finite number, got ${String(factor)}`,
    );
  return transformation(
    "scale",
    () => ({}),
    (updates, state) => [scaleTree(updates, factor), state],
  );
}

/** The step count a schedule is evaluated at (0 before the first update). */
export interface ScaleByScheduleState {
  /** Steps taken so far: the schedule's argument at the next update. */
  count: Count;
}
/** The state family of `scaleBySchedule` and `scaleByLearningRate`: `ScaleByScheduleState` whatever the params. */
export interface ScaleByScheduleFamily extends StateFamily {
  /** The step count, whatever the params. */
  readonly state: ScaleByScheduleState;
}

function checkCount(op: string, state: unknown): AnyTensor {
  const c = typeof state === "object" && state !== null && "count" in state ? state.count : undefined;
  if (!isTensor(c) || c.rank !== 0) {
    const got = state === null ? "null" : typeof state === "object" ? `{ ${Object.keys(state).join(", ")} }` : typeof state;
    throw new ValueError(
      { op: op, expected: "the state from init ({ count: scalar tensor })", got: got },
      `${op}: expected the state from init ({ count: scalar tensor }), got ${got}`,
    );
  }
  return c;
}

function bySchedule(op: string, schedule: Schedule, sign: 1 | -1): GradientTransformation<ScaleByScheduleFamily> {
  const scaling: Scaling = (state) => {
    const count = checkCount(op, state);
    const value = schedule(count as Count) as AnyTensor;
    return [sign === 1 ? value : neg(value), { count: add(count, 1) }];
  };
  // a pure scaling: chain folds it into a fused step before it (adam's)
  return withScaling(
    transformation(
      op,
      () => ({ count: asTensor(0) }),
      (updates, state) => {
        const [factor, next] = scaling(state);
        return [scaleTree(updates, factor), next];
      },
    ),
    scaling,
  );
}

/**
 * Every update times `schedule(count)`; the count starts at 0 and grows by one per update.
 * ```ts
 * const warm = scaleBySchedule(linear({ init: 0, end: 1, steps: 100 }));
 * ```
 */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<ScaleByScheduleFamily> {
  if (typeof schedule !== "function")
    throw new ValueError(
      { op: "scaleBySchedule", expected: "a schedule (step => value)", got: typeof schedule },
      `scaleBySchedule: expected a schedule (step => value), got ${typeof schedule}`,
    );
  return bySchedule("scaleBySchedule", schedule, 1);
}

/**
 * Every update times `-learningRate` (or `-schedule(count)`): the last link of every named
 * optimizer, turning a descent direction into a step. `flipSign: false` keeps the sign (ascent).
 * The state always holds a step count, so a constant and a scheduled rate share one state type.
 * ```ts
 * const opt = chain(scaleByAdam(), scaleByLearningRate(cosineDecay({ init: 1e-3, decaySteps: 1000 })));
 * ```
 */
export function scaleByLearningRate(
  learningRate: number | Schedule,
  opts: { flipSign?: boolean } = {},
): GradientTransformation<ScaleByScheduleFamily> {
  if (typeof learningRate === "number" && !Number.isFinite(learningRate)) {
    throw new ValueError(
      { op: "scaleByLearningRate", expected: "a finite number or a schedule", got: String(learningRate) },
      `scaleByLearningRate: learning rate must be a finite number or a schedule, got ${String(learningRate)}`,
    );
  }
  if (typeof learningRate !== "number" && typeof learningRate !== "function") {
    throw new ValueError(
      { op: "scaleByLearningRate", expected: "a finite number or a schedule", got: typeof learningRate },
      `scaleByLearningRate: learning rate must be a finite number or a schedule, got ${typeof learningRate}`,
    );
  }
  checkOptions("scaleByLearningRate", opts);
  return bySchedule("scaleByLearningRate", asSchedule(learningRate), opts.flipSign === false ? 1 : -1);
}
