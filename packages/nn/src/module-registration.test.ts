import { type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Linear } from './layers/linear';
import { Module } from './module';

class Forgot extends Module {
  readonly fc1 = new Linear(4, 4); // never registered: PyTorch would have registered it on assignment
  readonly fc2 = this.registerModule('fc2', new Linear(4, 2));
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x));
  }
}

describe('unregistered fields', () => {
  it('make parameters(), stateDict(), train() and modules() throw a ValueError naming the field', () => {
    const m = new Forgot();
    for (const call of [() => m.parameters(), () => m.stateDict(), () => m.eval(), () => m.modules()]) {
      expect(call).toThrow(ValueError);
      expect(call).toThrow(
        /^Module: field "fc1" of Forgot holds a Linear that is not registered: register it \(this\.registerModule\(name, module\)\)/,
      );
    }
  });

  it('name the path of a nested module, an array element and a trainable tensor', () => {
    class Inner extends Module {
      readonly w = tensor([1, 2], { requiresGrad: true });
      forward(x: Tensor): Tensor {
        return x.mul(this.w);
      }
    }
    class Outer extends Module {
      readonly inner = this.registerModule('inner', new Inner());
      forward(x: Tensor): Tensor {
        return this.inner.forward(x);
      }
    }
    expect(() => new Outer().parameters()).toThrow(
      /^Module: field "w" of Inner \("inner"\) holds a tensor that requires gradients and is not registered/,
    );
    class Layers extends Module {
      readonly layers = [new Linear(2, 2), new Linear(2, 2)];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Layers().parameters()).toThrow(
      /^Module: element 0 of field "layers" of Layers holds a Linear that is not registered: register it \(keep the modules in a ModuleList, this\.registerModule\(name, new ModuleList/,
    );
  });

  it('accept registered modules, references to modules and tensors registered elsewhere in the tree, and ES private fields', () => {
    class Tied extends Module {
      readonly enc = this.registerModule('enc', new Linear(3, 3));
      readonly dec = this.registerModule('dec', new Linear(3, 3));
      readonly alias = this.enc; // a second reference to a registered module
      readonly tiedWeight = this.enc.weight; // weight tying: registered by enc
      readonly frozen = tensor([1, 2]); // does not require gradients
      readonly #teacher = new Linear(3, 3); // deliberately left out
      forward(x: Tensor): Tensor {
        return this.dec.forward(this.enc.forward(x)).add(this.#teacher.forward(x));
      }
    }
    const m = new Tied();
    expect(m.parameters()).toHaveLength(4);
    expect(Object.keys(m.stateDict())).toEqual(['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
  });
});
