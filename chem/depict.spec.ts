import { beforeAll, describe, expect, it } from 'vitest';
import { getRDKit, type RDKitModule } from './rdkit';
import { depictSvg } from './depict';

let rdkit: RDKitModule;
beforeAll(async () => {
  rdkit = await getRDKit();
});

describe('depictSvg', () => {
  it('draws SMILES as standalone SVG markup without an XML prolog', () => {
    const svg = depictSvg('CC(=O)Oc1ccccc1C(=O)O', { width: 300, height: 200 })!;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toContain('<?xml');
    expect(svg).toContain("xmlns='http://www.w3.org/2000/svg'");
    expect(svg).toContain("width='300px' height='200px'");
    expect(svg).toMatch(/fill:#FFFFFF/); // white background rectangle
  });

  it('leaves the background transparent on request', () => {
    const svg = depictSvg('c1ccccc1O', { width: 120, height: 120, background: 'transparent' })!;
    expect(svg).not.toMatch(/<rect[^>]*fill:#FFFFFF/);
  });

  it('draws molblocks with their own coordinates', () => {
    const mol = rdkit.get_mol('CCO')!;
    const block = mol.get_molblock();
    mol.delete();
    expect(depictSvg(block, { width: 100, height: 100 })).toMatch(/^<svg/);
  });

  it('never puts input text into the markup', () => {
    const mol = rdkit.get_mol('CCO')!;
    const block = mol.get_molblock().replace('M  END', 'A    3\n<script>alert(1)</script>\nM  END');
    mol.delete();
    const svg = depictSvg(block, { width: 200, height: 150 });
    expect(svg).not.toBeNull();
    expect(svg).not.toMatch(/script|alert/);
  });

  it('highlights atoms and clamps silly sizes', () => {
    const svg = depictSvg('c1ccccc1O', { width: 99999, height: -5, highlight: { atoms: [0, 1, 2], bonds: [0, 1] } })!;
    expect(svg).toContain("width='2048px' height='16px'");
  });

  it('returns null for what it cannot read', () => {
    expect(depictSvg('C1CC', { width: 100, height: 100 })).toBeNull();
    expect(depictSvg('', { width: 100, height: 100 })).toBeNull();
  });
});
