/** The OTLP/HTTP trace receiver: `tape otlp`, and the half of `tape daemon` that takes spans. */
export { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions, type OtlpStats } from './receiver.js';
