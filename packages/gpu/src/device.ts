// Getting a WebGPU device: in Node through npm `webgpu` (Dawn), in a browser through navigator.gpu.
/// <reference types="@webgpu/types" preserve="true" />

export interface InitOptions {
  /** A GPU object to use instead of navigator.gpu or Dawn (e.g. one created with custom Dawn flags). */
  gpu?: GPU;
  /** Flags for Dawn's `create()` in Node, e.g. `['backend=vulkan']` or `['adapter=llvmpipe']`. */
  dawnFlags?: readonly string[];
  powerPreference?: GPUPowerPreference;
}

/** What initWebGPU reports about the adapter it got. */
export interface AdapterReport {
  readonly name: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** Whether this is a software or otherwise fallback adapter (e.g. lavapipe). */
  readonly isFallbackAdapter: boolean;
  /** The device's limits that the backend relies on. */
  readonly limits: {
    readonly maxStorageBuffersPerShaderStage: number;
    readonly maxStorageBufferBindingSize: number;
    readonly maxBufferSize: number;
    readonly maxComputeWorkgroupsPerDimension: number;
    readonly maxComputeInvocationsPerWorkgroup: number;
    readonly maxComputeWorkgroupStorageSize: number;
  };
}

export const NO_ADAPTER_HELP =
  "WebGPU needs a GPU driver; on Linux without a GPU, install Mesa's lavapipe Vulkan driver (Debian bookworm: mesa-vulkan-drivers from bookworm-backports, see packages/gpu/scripts/setup-lavapipe.sh) and set XDG_RUNTIME_DIR";

export interface Acquired {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  /** Keeps Dawn's GPU object alive while the device is in use (dropping it lets Node exit). */
  readonly gpu: GPU;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function nodeGPU(flags: readonly string[]): Promise<GPU> {
  // a variable specifier keeps browser bundlers from resolving the native module
  const specifier = 'webgpu';
  let mod: { create: (flags: string[]) => GPU };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (e) {
    throw new Error(`initWebGPU: cannot load the npm package 'webgpu' (Dawn for Node): ${(e as Error).message}; install it with npm install webgpu`);
  }
  return mod.create([...flags]);
}

const PICK = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
] as const;

/** Requests an adapter and a device with the adapter's limits for what the backend uses. */
export async function acquireDevice(options: InitOptions = {}): Promise<Acquired> {
  let gpu = options.gpu;
  if (gpu === undefined) {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (nav?.gpu !== undefined) gpu = nav.gpu;
    else if (isNode) gpu = await nodeGPU(options.dawnFlags ?? []);
    else throw new Error(`initWebGPU: this environment has no navigator.gpu (WebGPU); ${NO_ADAPTER_HELP}`);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (e) {
    throw new Error(`initWebGPU: requesting a WebGPU adapter failed (${(e as Error).message}); ${NO_ADAPTER_HELP}`);
  }
  if (adapter === null) throw new Error(`initWebGPU: no WebGPU adapter is available; ${NO_ADAPTER_HELP}`);
  const requiredLimits: Record<string, number> = {};
  for (const k of PICK) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits });
  const info = adapter.info;
  const limits = Object.fromEntries(PICK.map((k) => [k, device.limits[k]])) as unknown as AdapterReport['limits'];
  const description = info.description ?? '';
  const report: AdapterReport = {
    name: description || info.device || info.architecture || info.vendor || 'unknown',
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description,
    isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? /llvmpipe|lavapipe|swiftshader/i.test(description),
    limits,
  };
  return { device, report, gpu };
}
