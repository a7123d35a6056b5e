/** An evaluator that remembers every input it judged, by decision id, around a real one. */
import type { EvaluateOptions, EvaluationResult, JsonValue, MaskedInput, PolicyEvaluator, PolicyInput } from '../../src/policy/types';

export class RecordingEvaluator implements PolicyEvaluator {
  readonly inputs = new Map<string, PolicyInput>();

  constructor(private readonly inner: PolicyEvaluator) {}

  get revision(): string {
    return this.inner.revision;
  }

  get ready(): boolean {
    return this.inner.ready;
  }

  evaluate(input: PolicyInput, options: EvaluateOptions): Promise<EvaluationResult> {
    this.inputs.set(input.decision_id, structuredClone(input));
    return this.inner.evaluate(input, options);
  }

  mask(input: PolicyInput, result: JsonValue, inputJson?: string, maskSet?: unknown): Promise<MaskedInput> {
    return this.inner.mask(input, result, inputJson, maskSet);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
