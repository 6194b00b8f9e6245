// The code the custom-optimizer text box starts with (plain text: the page itself loads no nabla code).

/** The code the text box starts with: sign descent in a few lines. */
export const EXAMPLE_CUSTOM = `({ defineOptimizer, chain, scaleByLearningRate }) => {
  // signSGD: step by -lr * sign(gradient)
  const scaleBySign = () => ({
    init: () => null,
    update(updates) {
      for (const u of updates) if (u) for (let j = 0; j < u.length; j++) u[j] = Math.sign(u[j]);
    },
  });
  return defineOptimizer({
    name: 'signSgd',
    defaults: { lr: 0.01 },
    rule: chain(scaleBySign(), scaleByLearningRate()),
  });
}`;
