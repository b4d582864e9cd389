// Built-in methods register themselves on import.
import './zero.ts';
import './mean.ts';
import './frozen-ln.ts';
import './stochastic.ts';
import './adversarial.ts';
// reference baselines
import './keep-all.ts';
import './random.ts';
