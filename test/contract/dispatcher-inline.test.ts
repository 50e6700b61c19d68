import { InlineDispatcher } from '../../src/dispatch/inline-dispatcher.js';
import { dispatcherContract } from './dispatcher-contract.js';

dispatcherContract('inline', async (s) => new InlineDispatcher(s));
