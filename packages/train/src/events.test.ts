import { definePlugin } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { createContext } from './context';
import { checkTrainPlugin, EventBus, isTrainEvent, setupOptimizerPlugin, subscribePlugin } from './events';
import type { Trainable, TrainContext, TrainEvent } from './types';

const model: Trainable = { forward: (x) => x, parameters: () => [], train: () => {}, eval: () => {} };
const ctx = (): TrainContext => createContext({ model, optimizer: null, lossFn: (o) => o, epochs: 1 });

describe('EventBus', () => {
  it('runs handlers in subscription order and awaits async ones', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('batchEnd', async () => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push('a');
    });
    bus.on('batchEnd', () => void seen.push('b'));
    bus.on('epochEnd', () => void seen.push('other'));
    await bus.emit('batchEnd', ctx());
    expect(seen).toEqual(['a', 'b']);
  });

  it('returns an unsubscribe function that removes exactly one subscription', async () => {
    const bus = new EventBus();
    let calls = 0;
    const handler = () => void calls++;
    const off1 = bus.on('step', handler);
    bus.on('step', handler);
    expect(bus.listenerCount('step')).toBe(2);
    off1();
    off1();
    expect(bus.listenerCount('step')).toBe(1);
    await bus.emit('step', ctx());
    expect(calls).toBe(1);
  });

  it('takes a snapshot: a handler removed during emit still runs this time, not the next', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    let offB: () => void = () => {};
    bus.on('step', () => {
      seen.push('a');
      offB();
    });
    offB = bus.on('step', () => void seen.push('b'));
    await bus.emit('step', ctx());
    await bus.emit('step', ctx());
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('propagates a handler error and stops the emit there', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('step', () => {
      throw new Error('bad handler');
    });
    bus.on('step', () => void seen.push('after'));
    await expect(bus.emit('step', ctx())).rejects.toThrow('bad handler');
    expect(seen).toEqual([]);
  });

  it('rejects unknown events and non-function handlers', () => {
    const bus = new EventBus();
    expect(() => bus.on('onBatchEnd' as TrainEvent, () => {})).toThrow(
      /EventBus.on: unknown event "onBatchEnd"; events are trainStart, epochStart/,
    );
    expect(() => bus.on('step', 3 as unknown as () => void)).toThrow(
      /handler of 'step' must be a function, got number/,
    );
    expect(isTrainEvent('afterBackward')).toBe(true);
    expect(isTrainEvent('after_backward')).toBe(false);
  });
});

describe('plugins on the bus', () => {
  it('subscribes every event-named handler with this bound to the plugin, and unsubscribes them all', async () => {
    const bus = new EventBus();
    const plugin = {
      name: 'counter',
      count: 0,
      batchEnd(this: { count: number }) {
        this.count++;
      },
      epochEnd(this: { count: number }) {
        this.count += 10;
      },
    };
    const off = subscribePlugin(bus, plugin);
    await bus.emit('batchEnd', ctx());
    await bus.emit('epochEnd', ctx());
    expect(plugin.count).toBe(11);
    off();
    expect(bus.listenerCount('batchEnd') + bus.listenerCount('epochEnd')).toBe(0);
  });

  it('sets up an optimizer plugin with on(), and its teardown unsubscribes and calls the returned function', async () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    let torn = false;
    const plugin = definePlugin({
      name: 'p',
      optimizers: {},
      setup(events) {
        events.on('afterStep', (payload) => void seen.push((payload as TrainContext).epoch));
        return () => {
          torn = true;
        };
      },
    });
    const teardown = setupOptimizerPlugin(bus, plugin);
    await bus.emit('afterStep', ctx());
    expect(seen).toEqual([0]);
    teardown();
    expect(torn).toBe(true);
    expect(bus.listenerCount('afterStep')).toBe(0);
  });

  it('names the plugin when its setup subscribes to an unknown event, and undoes what it subscribed', () => {
    const bus = new EventBus();
    const plugin = definePlugin({
      name: 'typo',
      optimizers: {},
      setup(events) {
        events.on('step', () => {});
        events.on('afterstep', () => {});
      },
    });
    expect(() => setupOptimizerPlugin(bus, plugin)).toThrow(/plugin 'typo' setup: unknown event "afterstep"/);
    expect(bus.listenerCount('step')).toBe(0);
  });

  it('checks plugin shapes', () => {
    expect(() => checkTrainPlugin('fit', null, 2)).toThrow(/fit: plugins\[2\] must be a plugin object, got null/);
    expect(() => checkTrainPlugin('fit', { name: 'x', step: 5 }, 0)).toThrow(
      /plugin 'x': 'step' must be a function, got number/,
    );
    expect(() => checkTrainPlugin('fit', { name: 'x', onTrainStart() {} }, 0)).toThrow(/name it 'trainStart'/);
    const ok = { name: 'ok', step() {}, helper() {}, onSomething() {} };
    expect(checkTrainPlugin('fit', ok, 0)).toBe(ok);
  });
});
