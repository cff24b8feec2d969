/**
 * @module
 * `@act/connector-template/testing`: what tests, the demo and benchmarks need to
 * play the provider: its signer, its documented fixtures (byte for byte) and
 * a fake of its API.
 */

export { createTemplateFake, type SimulatedRecord, TemplateFake, type TemplateFakeOptions } from './fake';
export { FIXTURES, SAMPLE_DELIVERIES } from './fixtures';
export { signTemplateBody, templateSigner } from './signer';
export { createSimulation } from './simulation';
