/**
 * `npm start`: a short end-to-end training run that shows the loss falling —
 * an LSTM learning whether the sum of a noisy sequence is positive.
 */
import { Dense, LSTM, Sequential, Tensor, randomUniform, setSeed } from '../lib/index.ts';

setSeed(42);
const N = 1024;
const T = 12;
const x = randomUniform([N, T, 1], -1, 1);
const y = new Tensor(new Float32Array(N), [N, 1]);
for (let i = 0; i < N; i++) {
  let s = 0;
  for (let t = 0; t < T; t++) s += x.data[i * T + t];
  y.data[i] = s > 0 ? 1 : 0;
}

const model = new Sequential([new LSTM(16, { inputShape: [null, 1] }), new Dense(1, { activation: 'sigmoid' })]);
model.summary();
model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['acc'] });
const history = await model.fit(x, y, { epochs: 10, batchSize: 32, validationSplit: 0.2 });
const loss = history.history.loss;
console.log(`\nloss ${loss[0].toFixed(4)} → ${loss[loss.length - 1].toFixed(4)}, val_acc ${history.history.val_acc.at(-1)!.toFixed(3)}`);
