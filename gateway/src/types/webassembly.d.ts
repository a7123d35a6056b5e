/**
 * The part of the WebAssembly JS API the evaluator uses. Node provides it globally, but its
 * types ship only with the DOM library, which this project does not load.
 */
declare namespace WebAssembly {
   
  class Module {}
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Instance {
    readonly exports: Record<string, unknown>;
  }
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
}
