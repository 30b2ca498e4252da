// The SIR epidemic model, integrated deterministically with classic Runge-Kutta (RK4).
import type { HostArray } from "./hostArray.js";
import { refused } from "../tensor/errors.js";

/** Column order of `sirEpidemic`'s curves. */
export const SIR_COLUMNS = ["S", "I", "R"] as const;

/** Options of `sirEpidemic({ beta, gamma, days, population, ... })`. */
export interface SirOptions {
  /** Infection rate per day (contacts × transmission probability). */
  beta: number;
  /** Recovery rate per day (1 / mean days infectious). */
  gamma: number;
  /** Days to simulate; the curves have days + 1 rows (day 0 included). */
  days: number;
  /** Total population N = S + I + R, conserved. */
  population: number;
  /** Infected at day 0 (S = N - i0, R = 0). */
  i0: number;
  /** RK4 steps per day (default 10). */
  stepsPerDay?: number;
}

/**
 * Susceptible / Infected / Recovered counts of the SIR model
 *   dS/dt = -β·S·I/N,  dI/dt = β·S·I/N - γ·I,  dR/dt = γ·I,
 * sampled once a day: `[days + 1, 3]` float32 with columns S, I, R. Integration runs in
 * float64 with RK4; S + I + R = N holds at every step (the derivatives sum to zero).
 * Used to fit β and γ to observed curves by gradient descent.
 *
 * @example
 * const curves = sirEpidemic({ beta: 0.3, gamma: 0.1, days: 160, population: 1000, i0: 1 });
 * curves.shape; // [161, 3]
 */
export function sirEpidemic(options: SirOptions): HostArray<[number, 3], "float32"> {
  const { beta, gamma, days, population, i0, stepsPerDay = 10 } = options;
  for (const [name, value] of [
    ["beta", beta],
    ["gamma", gamma],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) throw refused("sirEpidemic", `${name} must be a finite number >= 0`, `${value}`);
  }
  if (!Number.isInteger(days) || days < 0) throw refused("sirEpidemic", `days must be an integer >= 0`, `${days}`);
  if (!Number.isFinite(population) || population <= 0) throw refused("sirEpidemic", `population must be > 0`, `${population}`);
  if (!Number.isFinite(i0) || i0 < 0 || i0 > population) {
    throw refused("sirEpidemic", `i0 must be in 0..population (${population})`, `${i0}`);
  }
  if (!Number.isInteger(stepsPerDay) || stepsPerDay <= 0) {
    throw refused("sirEpidemic", `stepsPerDay must be a positive integer`, `${stepsPerDay}`);
  }
  const n = population;
  const derivative = (s: number, i: number): [number, number, number] => {
    const infections = (beta * s * i) / n;
    const recoveries = gamma * i;
    return [-infections, infections - recoveries, recoveries];
  };
  const h = 1 / stepsPerDay;
  let s = n - i0;
  let i = i0;
  let r = 0;
  const out = new Float32Array((days + 1) * 3);
  out[0] = s;
  out[1] = i;
  out[2] = r;
  for (let day = 1; day <= days; day++) {
    for (let step = 0; step < stepsPerDay; step++) {
      const k1 = derivative(s, i);
      const k2 = derivative(s + (h / 2) * k1[0], i + (h / 2) * k1[1]);
      const k3 = derivative(s + (h / 2) * k2[0], i + (h / 2) * k2[1]);
      const k4 = derivative(s + h * k3[0], i + h * k3[1]);
      s += (h / 6) * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
      i += (h / 6) * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
      r += (h / 6) * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]);
    }
    out[day * 3] = s;
    out[day * 3 + 1] = i;
    out[day * 3 + 2] = r;
  }
  return { data: out, shape: [days + 1, 3], dtype: "float32" };
}
