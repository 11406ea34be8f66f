/**
 * RDKit in the web process, for work that must answer a request at once:
 * registering one molecule (~1–2 ms), pictures and SDF export. Bulk work goes
 * to the workers. Loaded on first use; getRDKit caches the module and, after
 * a WASM abort is discarded (chem/rdkit.ts), loads a fresh one.
 */
import { getRDKit } from '$chem/rdkit';
import { registerStructure, computeDescriptors } from '$chem/standardize';
import { depictSvg } from '$chem/depict';

export async function chemistry() {
  await getRDKit();
  return { registerStructure, computeDescriptors, depictSvg };
}
