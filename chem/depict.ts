/**
 * 2D pictures of structures as SVG, for `<img src>` (image/svg+xml) or inline
 * HTML. RDKit draws atom labels as paths, so no input text reaches the
 * markup; the XML prolog (which declares iso-8859-1 and is invalid inside
 * HTML) is removed.
 */
import { loadedRDKit, takeRDKitLog, type RDKitModule } from './rdkit';
import { parseStructure } from './standardize';

export interface DepictOptions {
  width: number;
  height: number;
  /** `white` (default) paints a white rectangle; `transparent` paints none. */
  background?: 'white' | 'transparent';
  /** Atom and bond indices to highlight, e.g. a substructure match. */
  highlight?: { atoms?: number[]; bonds?: number[] };
}

const MIN_SIDE = 16;
const MAX_SIDE = 2048;
const clampSide = (n: number) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(Number.isFinite(n) ? n : 300)));

/** SVG markup, or null when the structure cannot be read or drawn. */
export function depictSvg(
  smilesOrMolblock: string,
  options: DepictOptions,
  rdkit: RDKitModule = loadedRDKit()
): string | null {
  const format = smilesOrMolblock.includes('M  END') ? 'molblock' : 'smiles';
  takeRDKitLog(rdkit);
  const parsed = parseStructure(rdkit, smilesOrMolblock, format);
  if (!parsed.ok) return null;
  const mol = parsed.mol;
  try {
    const details: Record<string, unknown> = {
      width: clampSide(options.width),
      height: clampSide(options.height),
      clearBackground: options.background !== 'transparent'
    };
    if (options.highlight?.atoms?.length) details.atoms = options.highlight.atoms.filter(Number.isInteger);
    if (options.highlight?.bonds?.length) details.bonds = options.highlight.bonds.filter(Number.isInteger);
    const svg = mol.get_svg_with_highlights(JSON.stringify(details));
    // On bad details RDKit returns a sentence instead of a drawing.
    if (!svg.includes('<svg')) return null;
    const clean = svg.replace(/^<\?xml[^>]*\?>\s*/, '').trim();
    // Defence in depth for a file served from our origin: nothing active, ever.
    if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:/i.test(clean)) return null;
    return clean;
  } catch {
    return null;
  } finally {
    mol.delete();
    takeRDKitLog(rdkit);
  }
}
