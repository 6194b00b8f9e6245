// The 2-D function tasks of `nabla compare`: each optimizer walks over a test function from its customary
// start.
import { quadratic, TEST_FUNCTIONS, type TestFunction } from '@nablajs/data';
import type { FunctionTask, TaskDefaults } from './tasks';

function functionTask(name: string, fn: TestFunction, description: string, defaults: TaskDefaults): FunctionTask {
  return { kind: 'function', name, description, fn, defaults };
}

/**
 * The 2-D function tasks of {@link TASKS}, by name: each optimizer walks from the function's customary start.
 *
 * @example
 * ```ts
 * FUNCTION_TASKS.rosenbrock.defaults.steps; // 1500
 * ```
 */
export const FUNCTION_TASKS: Readonly<Record<string, FunctionTask>> = {
  rosenbrock: functionTask(
    'rosenbrock',
    TEST_FUNCTIONS.rosenbrock,
    "Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2); minimum 0 at (1, 1)",
    {
      optimizers: 'sgd:lr=2e-3 momentum@sgd:lr=5e-4,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=1 adam:lr=0.05',
      steps: 1500,
      targetLoss: 1e-3,
    },
  ),
  beale: functionTask(
    'beale',
    TEST_FUNCTIONS.beale,
    "Beale's function with sharp ridges, from (3, 4); minimum 0 at (3, 0.5)",
    {
      optimizers:
        'sgd:lr=1e-4 momentum@sgd:lr=1e-5,momentum=0.9 rmsprop:lr=0.03 adagrad:lr=2 adam:lr=0.3,betas=[0.9,0.99]',
      steps: 1500,
      targetLoss: 1e-3,
    },
  ),
  himmelblau: functionTask(
    'himmelblau',
    TEST_FUNCTIONS.himmelblau,
    "Himmelblau's function with four minima (value 0), from (0, 0)",
    {
      optimizers: 'sgd:lr=5e-3 momentum@sgd:lr=2e-3,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.5 adam:lr=0.05',
      steps: 500,
      targetLoss: 1e-3,
    },
  ),
  saddle: functionTask(
    'saddle',
    TEST_FUNCTIONS.saddle,
    'the saddle x^2 - y^2 from (1, 0.001), almost on the ridge: how fast does each optimizer escape?',
    {
      optimizers: 'sgd:lr=0.02 momentum@sgd:lr=0.01,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.1 adam:lr=0.01',
      steps: 150,
      targetLoss: -1,
    },
  ),
  quadratic: functionTask(
    'quadratic',
    quadratic(),
    'an ill-conditioned bowl 0.5 (x^2 + 100 y^2) from (-1.5, 0.5); minimum 0 at (0, 0)',
    {
      optimizers: 'sgd:lr=0.015 momentum@sgd:lr=0.015,momentum=0.9 rmsprop:lr=1e-2 adagrad:lr=0.5 adam:lr=0.05',
      steps: 300,
      targetLoss: 1e-4,
    },
  ),
};
