/**
 * Run by model.spec.ts in a child process: trains on two threads and then
 * returns from its module, leaving the workers running; the process must end
 * by itself (the workers hold no handle that keeps it alive).
 */
import { Dense, LSTM, Sequential, randomNormal, setNumThreads, setSeed, tensor } from '../../lib/index.ts';
import { threadJobs } from '../../cells/threads/pool.ts';

setNumThreads(2);
setSeed(5);
const model = new Sequential([new LSTM(16, { inputShape: [12, 8] }), new Dense(1, { activation: 'sigmoid' })]);
model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy' });
const x = randomNormal([64, 12, 8]);
const y = tensor(Float32Array.from({ length: 64 }, (_, i) => i % 2), [64, 1]);
const loss = model.trainOnBatch(x, y);
console.log(`trained on 2 threads, ${threadJobs()} jobs handed off, loss ${loss}`);
