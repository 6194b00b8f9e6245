import { ValueError } from '@nablajs/core';
import type { OptimizerPlugin } from '@nablajs/optim';
import { type EventHandler, TRAIN_EVENTS, type TrainContext, type TrainEvent, type TrainPlugin } from './types';

const EVENT_SET: ReadonlySet<string> = new Set(TRAIN_EVENTS);

/**
 * Whether `name` is one of {@link TRAIN_EVENTS}.
 *
 * @example
 * ```ts
 * isTrainEvent('afterBackward'); // true
 * isTrainEvent('on_epoch_end'); // false
 * ```
 */
export function isTrainEvent(name: unknown): name is TrainEvent {
  return typeof name === 'string' && EVENT_SET.has(name);
}

function checkEvent(fn: string, event: unknown): TrainEvent {
  if (!isTrainEvent(event))
    throw new ValueError(
      `${fn}: unknown event ${JSON.stringify(event) ?? String(event)}; events are ${TRAIN_EVENTS.join(', ')}`,
    );
  return event;
}

/**
 * The training loop's event bus: handlers subscribe to an event with {@link EventBus.on} and run in
 * subscription order when the loop emits it, each awaited before the next (a handler may be async).
 *
 * Order is the contract: the loop subscribes its built-in plugins first (the optimizer step on `step`,
 * the metrics of `fit({ metrics })`), then the caller's plugins in the order they are given, so a plugin
 * listed later sees what earlier ones did to the context.
 *
 * @example
 * ```ts
 * const bus = new EventBus();
 * const off = bus.on('batchEnd', (ctx) => console.log(ctx.batchLogs.loss));
 * await bus.emit('batchEnd', ctx);
 * off(); // unsubscribe
 * ```
 */
export class EventBus {
  private readonly handlers = new Map<TrainEvent, EventHandler[]>();

  /**
   * Subscribe `handler` to `event`; returns a function that removes this subscription (calling it twice
   * is harmless). Throws a `ValueError` for an unknown event name.
   */
  on(event: TrainEvent, handler: EventHandler): () => void {
    const name = checkEvent('EventBus.on', event);
    if (typeof handler !== 'function')
      throw new ValueError(`EventBus.on: the handler of '${name}' must be a function, got ${typeof handler}`);
    let list = this.handlers.get(name);
    if (list === undefined) {
      list = [];
      this.handlers.set(name, list);
    }
    // Wrap so that the same function subscribed twice is removed one subscription at a time.
    const entry: EventHandler = (ctx) => handler(ctx);
    list.push(entry);
    return () => {
      const current = this.handlers.get(name);
      const at = current?.indexOf(entry) ?? -1;
      if (current !== undefined && at >= 0) current.splice(at, 1);
    };
  }

  /** How many handlers are subscribed to `event`. */
  listenerCount(event: TrainEvent): number {
    return this.handlers.get(event)?.length ?? 0;
  }

  /**
   * Run every handler of `event` in subscription order with `ctx`, awaiting each. Handlers added or
   * removed while it runs take effect at the next emit.
   */
  async emit(event: TrainEvent, ctx: TrainContext): Promise<void> {
    const list = this.handlers.get(event);
    if (list === undefined || list.length === 0) return;
    for (const handler of [...list]) {
      const result = handler(ctx);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') await result;
    }
  }

  /** Remove every handler. */
  clear(): void {
    this.handlers.clear();
  }
}

/**
 * Whether `plugin` is an optimizer plugin from `@nablajs/optim` (it has an `optimizers` record).
 *
 * @internal
 */
export function isOptimizerPlugin(plugin: unknown): plugin is OptimizerPlugin {
  return (
    typeof plugin === 'object' &&
    plugin !== null &&
    typeof (plugin as { optimizers?: unknown }).optimizers === 'object' &&
    (plugin as { optimizers?: unknown }).optimizers !== null
  );
}

/**
 * Check a training plugin's shape: an object with a non-empty `name` whose event-named properties are
 * functions. A property named like a Keras callback (`onEpochEnd`) is rejected with a hint, since it
 * would otherwise be silently ignored.
 *
 * @internal
 */
export function checkTrainPlugin(fn: string, plugin: unknown, index: number): TrainPlugin {
  if (typeof plugin !== 'object' || plugin === null)
    throw new ValueError(
      `${fn}: plugins[${index}] must be a plugin object, got ${plugin === null ? 'null' : typeof plugin}`,
    );
  const name = (plugin as { name?: unknown }).name;
  if (typeof name !== 'string' || name.length === 0)
    throw new ValueError(`${fn}: plugins[${index}] needs a non-empty string name`);
  for (const key of Object.keys(plugin)) {
    const value = (plugin as Record<string, unknown>)[key];
    if (isTrainEvent(key)) {
      if (value !== undefined && typeof value !== 'function')
        throw new ValueError(`${fn}: plugin '${name}': '${key}' must be a function, got ${typeof value}`);
      continue;
    }
    const match = /^on([A-Z]\w*)$/.exec(key);
    if (match !== null && typeof value === 'function') {
      const event = match[1].charAt(0).toLowerCase() + match[1].slice(1);
      if (isTrainEvent(event))
        throw new ValueError(
          `${fn}: plugin '${name}' has a handler '${key}'; name it '${event}' (handlers are named after the event)`,
        );
    }
  }
  return plugin as TrainPlugin;
}

/**
 * Subscribe every event handler of `plugin` to `bus`, in {@link TRAIN_EVENTS} order, with `this` bound
 * to the plugin; returns a function that removes them all.
 *
 * @example
 * ```ts
 * const off = subscribePlugin(bus, { name: 'spy', batchEnd: (ctx) => { seen.push(ctx.batch); } });
 * ```
 */
export function subscribePlugin(bus: EventBus, plugin: TrainPlugin): () => void {
  const offs: (() => void)[] = [];
  for (const event of TRAIN_EVENTS) {
    const handler = plugin[event];
    if (typeof handler === 'function') offs.push(bus.on(event, (ctx) => handler.call(plugin, ctx)));
  }
  return () => {
    for (const off of offs) off();
  };
}

/**
 * Run an optimizer plugin's `setup` with the bus's event API (`on(event, handler)`, the handler receiving
 * the {@link TrainContext} as its payload); returns a teardown that unsubscribes what it subscribed and
 * calls the teardown the plugin returned, if any.
 *
 * @internal
 */
export function setupOptimizerPlugin(bus: EventBus, plugin: OptimizerPlugin): () => void {
  if (plugin.setup === undefined) return () => {};
  const offs: (() => void)[] = [];
  const on = (event: string, handler: (payload: unknown) => void): (() => void) => {
    const off = bus.on(checkEvent(`plugin '${plugin.name}' setup`, event), (ctx) => handler(ctx));
    offs.push(off);
    return off;
  };
  let teardown: (() => void) | undefined;
  try {
    const result = plugin.setup({ on });
    if (typeof result === 'function') teardown = result;
  } catch (error) {
    for (const off of offs) off();
    throw error;
  }
  return () => {
    for (const off of offs) off();
    teardown?.();
  };
}
