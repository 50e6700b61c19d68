import { InlineDispatcher } from '../../src/dispatch/inline-dispatcher.js';
import { dispatcherContract } from './dispatcher-contract.js';

dispatcherContract('inline', async (s, shards) => new InlineDispatcher(s, shards));
