export { startProxy, type ProxyOptions, type RunningProxy } from './server.js';
export { resolveUpstreams, type Upstream } from './route.js';
export { envLines } from './env.js';
export { SseParser } from './sse.js';
export { ADAPTERS } from './adapters/index.js';
