import { beforeAll, describe, expect, it } from 'vitest';
import { getRDKit, type RDKitModule } from './rdkit';
import { formulaFromMolJson } from './formula';
import {
  computeDescriptors,
  heavyAtomsInMolblock,
  heavyAtomsInSmiles,
  registerStructure,
  structureLimits,
  type RegisteredStructure,
  type StructureResult
} from './standardize';

let rdkit: RDKitModule;
beforeAll(async () => {
  rdkit = await getRDKit();
});

function registered(input: string, format: 'smiles' | 'molblock' = 'smiles'): RegisteredStructure {
  const result = registerStructure(input, format);
  if (!result.ok) throw new Error(`${input}: ${result.code} ${result.reason}`);
  return result;
}
const failure = (input: string, format: 'smiles' | 'molblock' = 'smiles') => {
  const result: StructureResult = registerStructure(input, format);
  if (result.ok) throw new Error(`${input} was accepted`);
  return result;
};

const ASPIRIN = 'CC(=O)Oc1ccccc1C(=O)O';
const ASPIRIN_KEY = 'BSYNRYMUTXBXSQ-UHFFFAOYSA-N';

describe('one structure, any spelling', () => {
  it.each([
    ['phenol', ['Oc1ccccc1', 'c1ccccc1O', 'OC1=CC=CC=C1', 'C1=CC(O)=CC=C1', '[OH]c1ccccc1', '[H]Oc1ccccc1']],
    ['aspirin', [ASPIRIN, 'OC(=O)c1ccccc1OC(C)=O', 'CC(=O)OC1=CC=CC=C1C(O)=O', `${ASPIRIN}.[Na+].[Cl-]`, `O.${ASPIRIN}`]],
    ['L-alanine', ['C[C@H](N)C(=O)O', 'N[C@@H](C)C(=O)O', 'OC(=O)[C@H](C)N', '[CH3:1][C@H](N)C(=O)O']]
  ])('%s', (_name, spellings) => {
    const results = spellings.map((s) => registered(s));
    for (const r of results) {
      expect(r.canonicalSmiles).toBe(results[0].canonicalSmiles);
      expect(r.inchikey).toBe(results[0].inchikey);
      expect(r.inchi).toBe(results[0].inchi);
      expect(r.formula).toBe(results[0].formula);
      expect(Buffer.from(r.morganFp).equals(Buffer.from(results[0].morganFp))).toBe(true);
      expect(Buffer.from(r.patternFp).equals(Buffer.from(results[0].patternFp))).toBe(true);
    }
  });

  it('keeps stereo: enantiomers differ', () => {
    expect(registered('C[C@H](N)C(=O)O').inchikey).not.toBe(registered('C[C@@H](N)C(=O)O').inchikey);
  });

  it('gives standard identifiers and 2048-bit fingerprints', () => {
    const r = registered(ASPIRIN);
    expect(r).toMatchObject({
      ok: true,
      input: ASPIRIN,
      format: 'smiles',
      canonicalSmiles: 'CC(=O)Oc1ccccc1C(=O)O',
      inchi: 'InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)',
      inchikey: ASPIRIN_KEY,
      formula: 'C9H8O4',
      strippedFragments: false
    });
    expect(r.morganFp).toBeInstanceOf(Uint8Array);
    expect(r.morganFp.length).toBe(256);
    expect(r.patternFp.length).toBe(256);
    expect(r.morganFp.some((b) => b !== 0)).toBe(true);
  });
});

describe('salts and solvents', () => {
  it('keeps the largest organic fragment and the input as given', () => {
    const input = `${ASPIRIN}.[Na+].[Cl-]`;
    const r = registered(input);
    expect(r).toMatchObject({ input, canonicalSmiles: ASPIRIN, inchikey: ASPIRIN_KEY, formula: 'C9H8O4', strippedFragments: true });
  });

  it.each([
    ['hydrochloride', 'CN1CCC[C@H]1c1cccnc1.Cl', 'CN1CCC[C@H]1c1cccnc1', 'C10H14N2'],
    ['dihydrochloride', 'Cl.Cl.CN1CCN(CC1)c1ccccc1', 'CN1CCN(c2ccccc2)CC1', 'C11H16N2'],
    ['hydrate', 'C[C@H](N)C(=O)O.O.O', 'C[C@H](N)C(=O)O', 'C3H7NO2'],
    ['sodium phenoxide', '[Na+].[O-]c1ccccc1', '[O-]c1ccccc1', 'C6H5O-'],
    ['fumarate (smaller organic counter-ion)', 'OC(=O)/C=C/C(=O)O.CN1CCN(CC1)c1ccccc1', 'CN1CCN(c2ccccc2)CC1', 'C11H16N2'],
    ['citrate (larger than the drug)', 'OC(=O)CC(O)(CC(O)=O)C(O)=O.CN1CCC[C@H]1c1cccnc1', 'CN1CCC[C@H]1c1cccnc1', 'C10H14N2'],
    ['ethanol solvate', 'CCO.CCc1ccccc1', 'CCc1ccccc1', 'C8H10']
  ])('%s', (_name, input, parent, formula) => {
    expect(registered(input)).toMatchObject({ canonicalSmiles: parent, formula, strippedFragments: true });
  });

  it('breaks ties by canonical SMILES, whatever the input order', () => {
    expect(registered('CCCO.CCCN').canonicalSmiles).toBe('CCCN');
    expect(registered('CCCN.CCCO').canonicalSmiles).toBe('CCCN');
  });

  it('keeps a structure without carbon whole', () => {
    expect(registered('[Na+].[Cl-]')).toMatchObject({ canonicalSmiles: '[Cl-].[Na+]', formula: 'ClNa', strippedFragments: false });
  });
});

describe('bad input', () => {
  it.each([
    ['C1CC', 'STRUCTURE_INVALID', "SMILES Parse Error: unclosed ring for input: 'C1CC'"],
    ['foo', 'STRUCTURE_INVALID', 'SMILES Parse Error: syntax error while parsing: foo (around position 1)'],
    ['CCCN(C)(C)C', 'STRUCTURE_INVALID', 'Explicit valence for atom # 3 N, 4, is greater than permitted'],
    ['c1cccc1', 'STRUCTURE_INVALID', "Can't kekulize mol. Unkekulized atoms: 0 1 2 3 4"],
    ['', 'STRUCTURE_EMPTY', 'no structure given'],
    ['  \t ', 'STRUCTURE_EMPTY', 'no structure given'],
    ['CC\nCC', 'STRUCTURE_INVALID', 'SMILES must be a single line'],
    ['C*', 'INCHI_FAILED', 'InChI cannot represent attachment points or query atoms (*)']
  ])('%j → %s', (input, code, reason) => {
    expect(failure(input)).toEqual({ ok: false, code, reason });
  });

  it('refuses pathological sizes before RDKit sees them', () => {
    expect(failure('C'.repeat(structureLimits.maxSmilesChars + 1)).code).toBe('STRUCTURE_TOO_LARGE');
    // A 700-carbon chain would overflow RDKit's WebAssembly stack and never return.
    expect(failure('C'.repeat(700))).toEqual({
      ok: false,
      code: 'STRUCTURE_TOO_LARGE',
      reason: '700 heavy atoms; the limit is 500'
    });
    expect(failure(`[H]${'C'.repeat(250)}.${'Cl'.repeat(251)}`).reason).toBe('501 heavy atoms; the limit is 500');
    expect(registered('C'.repeat(500)).formula).toBe('C500H1002');
  });

  it('counts heavy atoms on the text as RDKit does after parsing', () => {
    for (const smiles of [
      'CC(=O)Oc1ccccc1C(=O)O.[Na+].[Cl-]',
      '[2H]C([2H])([2H])Oc1ccc[nH]1',
      'ClC(Br)(I)[Se]c1cc[se]c1',
      'C[C@@H]1CC[C@H](N)CC1 |r|',
      '[H][H].[Hg+2].CC',
      'Fc1c(F)c(F)c(F)c(F)c1P(=O)(O)O'
    ]) {
      const mol = rdkit.get_mol(smiles)!;
      try {
        expect(heavyAtomsInSmiles(smiles), smiles).toBe(mol.get_num_atoms(true));
        expect(heavyAtomsInMolblock(mol.get_molblock()), smiles).toBe(mol.get_num_atoms(true));
        expect(heavyAtomsInMolblock(mol.get_v3Kmolblock()), smiles).toBe(mol.get_num_atoms(true));
      } finally {
        mol.delete();
      }
    }
  });

  it('refuses a molblock without atoms or without M  END', () => {
    expect(failure('\n  empty\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n', 'molblock')).toEqual({
      ok: false,
      code: 'STRUCTURE_EMPTY',
      reason: 'structure has no atoms'
    });
    expect(failure('CCO', 'molblock').code).toBe('STRUCTURE_INVALID');
  });

  it('recovers after bad input (the log is per call)', () => {
    failure('C1CC');
    expect(registered('CCO').canonicalSmiles).toBe('CCO');
    expect(failure('c1cccc1').reason).not.toContain('unclosed ring');
  });
});

describe('molblock input', () => {
  const molblockOf = (smiles: string, addHs = false) => {
    const mol = rdkit.get_mol(smiles)!;
    try {
      return addHs ? mol.add_hs() : mol.get_molblock();
    } finally {
      mol.delete();
    }
  };

  it('gives the same parent as SMILES', () => {
    const fromBlock = registered(molblockOf(ASPIRIN), 'molblock');
    expect(fromBlock).toMatchObject({ canonicalSmiles: ASPIRIN, inchikey: ASPIRIN_KEY, format: 'molblock' });
  });

  it('removes explicit hydrogens and reads Windows line endings', () => {
    const block = molblockOf('C[C@H](N)C(=O)O', true).replace(/\n/g, '\r\n');
    expect(registered(block, 'molblock')).toMatchObject({ canonicalSmiles: 'C[C@H](N)C(=O)O', formula: 'C3H7NO2' });
  });

  it('refuses a molblock whose counts line does not match its atom block', () => {
    const broken = molblockOf('CCO').replace(/^(.*\n.*\n.*\n)  3/, '$1 13');
    expect(failure(broken, 'molblock')).toEqual({
      ok: false,
      code: 'STRUCTURE_INVALID',
      reason: 'RDKit could not read this molblock (counts line, atom or bond block)'
    });
  });
});

describe('formula', () => {
  it.each([
    ['Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'C8H10N4O2'], // caffeine
    [ASPIRIN, 'C9H8O4'],
    ['[O-]c1ccccc1', 'C6H5O-'],
    ['C[N+](C)(C)C', 'C4H12N+'],
    ['[NH3+]CC(=O)[O-]', 'C2H5NO2'],
    ['O=[N+]([O-])c1ccccc1', 'C6H5NO2'],
    ['c1cc[nH]c1', 'C4H5N'],
    ['[2H]C([2H])([2H])Oc1ccccc1', 'C7H8O'],
    ['F[B-](F)(F)F', 'BF4-'],
    ['[O-]C(=O)CC(=O)[O-]', 'C3H2O4-2'],
    ['N.N.Cl[Pt]Cl', 'Cl2H6N2Pt'],
    ['CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O', 'C13H18O2'], // ibuprofen
    ['ClC(Cl)Cl', 'CHCl3'],
    ['O', 'H2O']
  ])('%s → %s (and agrees with the atom count from RDKit JSON)', (smiles, formula) => {
    expect(registered(smiles).formula).toBe(formula);
    const mol = rdkit.get_mol(smiles)!;
    try {
      expect(formulaFromMolJson(mol.get_json())).toBe(formula);
    } finally {
      mol.delete();
    }
  });
});

describe('computeDescriptors', () => {
  it('matches reference values for aspirin', () => {
    expect(computeDescriptors(ASPIRIN)).toEqual({
      ok: true,
      averageMw: expect.closeTo(180.16, 2),
      exactMass: expect.closeTo(180.0423, 4),
      clogp: expect.closeTo(1.31, 2),
      tpsa: expect.closeTo(63.6, 2),
      hbd: 1,
      hba: 3,
      rotatableBonds: 2,
      heavyAtoms: 13,
      aromaticRings: 1,
      fractionCsp3: expect.closeTo(0.111, 3)
    });
  });

  it('matches reference values for caffeine', () => {
    expect(computeDescriptors('Cn1c(=O)c2c(ncn2C)n(C)c1=O')).toMatchObject({
      ok: true,
      averageMw: expect.closeTo(194.19, 2),
      tpsa: expect.closeTo(61.82, 2),
      hbd: 0,
      heavyAtoms: 14,
      aromaticRings: 2,
      fractionCsp3: expect.closeTo(0.375, 3)
    });
  });

  it('fails in words on bad SMILES', () => {
    expect(computeDescriptors('C1CC')).toMatchObject({ ok: false, code: 'STRUCTURE_INVALID' });
  });
});
